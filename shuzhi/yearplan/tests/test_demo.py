"""The demo province has 2026 key tasks, derived county lists and progress at 6/30 with some
units behind and a 催办单 on the matrix. Loaded on a small tree."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from shuzhi.orgs import demo as org_demo
from shuzhi.yearplan.demo import YEAR, seed_yearplan_demo
from shuzhi.yearplan.duties.models import DutyList
from shuzhi.yearplan.keytasks import services
from shuzhi.yearplan.keytasks.models import TaskList
from shuzhi.yearplan.progress.models import CellState, ProgressNotice, ProgressReport
from shuzhi.yearplan.progress.selectors import matrix

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_demo_plans_the_year_and_checks_it_at_midyear():
    org_demo.seed(scale=0.05)
    out = io.StringIO()
    top = seed_yearplan_demo(out)
    assert top is not None and "已载入2026年度重点任务" in out.getvalue()
    derived = TaskList.objects.filter(parent_list=top, status="published")
    assert derived.count() >= 1
    copies = [f for d in derived for f in services.findings_for(d) if f.code == "copy"]
    assert len(copies) == 1  # one county left one task word for word
    errors = [f for d in derived for f in services.findings_for(d) if f.severity == "error"]
    assert errors == []
    states = set(ProgressReport.objects.values_list("state", flat=True))
    assert CellState.BEHIND in states and CellState.ON_TRACK in states
    assert ProgressNotice.objects.filter(level_name="催办单").exists()
    statuses = set(DutyList.objects.values_list("status", flat=True))
    assert {"approved", "filed", "returned"} <= statuses
    root = get_user_model().objects.create_superuser("root-demo", password="x")
    m = matrix(top, root, limit=500)
    assert m.total_units > 0 and any(r.counts["behind"] for r in m.rows)
    assert seed_yearplan_demo() is None  # idempotent
    assert TaskList.objects.filter(year=YEAR, host=top.host).count() == 1
