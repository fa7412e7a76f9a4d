"""Fixtures for reports: the province's 2026 round hearing both cities, with last year's
problems of city A to be answered in its report."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from shuzhi.cycles import services as cs
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.rectification import services as rs

SAMPLES = Path(__file__).parent / "samples"
SECTION_NAMES = {"履职情况": "performance", "存在问题及原因": "problems", "下步打算": "next_steps"}


def load_sample(name: str) -> dict[str, str]:
    """A sample report's sections, keyed by section code."""
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return {
        SECTION_NAMES[m.group(1)]: m.group(2).strip()
        for m in re.finditer(r"【(.+?)】\n(.*?)(?=\n【|\Z)", text, re.S)
    }


@pytest.fixture
def round_2026(world):
    """The province's 2026 round; reporters 广州市委 (甲书记, linked to no user) and 深圳市委."""
    for unit, name in [(world.city_a, "甲书记"), (world.city_b, "丙书记")]:
        person = Person.objects.create(name=name, unit=unit)
        Post.objects.create(
            person=person,
            unit=unit,
            role=PostRole.SECRETARY,
            start_date=datetime.date(2020, 1, 1),
        )
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440100 440300")
    return round


@pytest.fixture
def reporter_a(round_2026, world):
    return round_2026.reporters.get(unit=world.city_a)


@pytest.fixture
def reporter_b(round_2026, world):
    return round_2026.reporters.get(unit=world.city_b)


@pytest.fixture
def last_year_problems(world):
    """Two 2025 problems of city A (to be answered), one of 2024 and one of city B (not)."""
    made = []
    for unit, year, text in [
        (world.city_a, 2025, "软弱涣散村党组织整顿转化不彻底"),
        (world.city_a, 2025, "基层报表台账过多，减负不到位"),
        (world.city_a, 2024, "流动党员管理存在盲区"),
        (world.city_b, 2025, "党群服务中心使用率不高"),
    ]:
        made.append(
            rs.create_problem(
                actor=world.alice,
                unit=unit,
                description=text,
                source="xunshi",
                found_on=datetime.date(year, 5, 1),
                year=year,
            )
        )
    return made


# A 存在问题 section, so that a report can be submitted (an empty one blocks submission).
PROBLEMS = {"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"}


def with_problems(report):
    """``report`` with :data:`PROBLEMS` written in (test set-up, not a user's save)."""
    type(report).objects.filter(pk=report.pk).update(sections={**report.sections, **PROBLEMS})
    report.refresh_from_db()
    return report


def answer_all(report) -> dict:
    return {
        str(row.problem_id): {
            "answer": "已完成整改，建立长效机制。",
            "evidence": "市委组织部验收意见",
        }
        for row in report.carried.all()
    }
