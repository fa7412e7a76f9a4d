"""Fixtures and helpers for the problem tests: a recorded problem in county A1 and a way to
put one in any status without walking the whole table."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from shuzhi.core.tests.samples import pdf_bytes, upload
from shuzhi.rectification import services
from shuzhi.rectification.models import Evidence, Problem, ProblemStatus

FOUND = datetime.date(2025, 3, 1)
DEADLINE = datetime.date(2025, 9, 30)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def record(world, *, unit=None, year: int = 2025, **extra) -> Problem:
    """A problem recorded by dave (inspector of county A1)."""
    values: dict[str, Any] = {
        "description": "基层党组织“三会一课”制度落实不到位，部分支部记录不全。",
        "source": "xuncha",
        "found_on": FOUND,
        "year": year,
        "responsible_person_name": "孙责任",
        "responsible_leader_name": "周领导",
        "measures": "逐一核查支部记录，补齐台账，建立月度检查制度。",
        "deadline": DEADLINE,
    }
    values.update(extra)
    return services.create_problem(actor=world.dave, unit=unit or world.county_a1, **values)


def put_in_status(problem: Problem, status: str, verifier=None) -> Problem:
    """Set ``status`` directly (test setup only — the product moves through ``transition``)."""
    Problem.objects.filter(pk=problem.pk).update(
        status=status, verifier=verifier if status == ProblemStatus.CLOSED else None
    )
    problem.refresh_from_db()
    return problem


def attach_pdf(problem: Problem, actor) -> Evidence:
    return services.add_evidence(
        actor=actor, problem=problem, upload=upload("整改报告.pdf", pdf_bytes()), note="报告"
    )


@pytest.fixture
def problem(world, media) -> Problem:
    return record(world)
