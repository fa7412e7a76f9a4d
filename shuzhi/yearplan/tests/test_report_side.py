"""The year-end report opens with 履职情况 pre-filled from the key tasks and their progress."""

from __future__ import annotations

import pytest

from shuzhi.cycles import services as cycle_services
from shuzhi.reports.reports import services as report_services
from shuzhi.yearplan.progress import services as progress_services

from .setup import JUNE, YEAR, province_plan, township_secretary

pytestmark = pytest.mark.django_db


def _report(world, actor):
    round_ = cycle_services.create_round(actor=world.alice, host=world.county_a1, year=YEAR)
    cycle_services.add_reporters_by_codes(
        actor=world.alice, round=round_, codes=world.township_a1x.code
    )
    return report_services.ensure_report(actor=actor, reporter=round_.reporters.get())


def test_report_opens_with_the_key_tasks_and_their_progress(world):
    plan = province_plan(world)
    tina = township_secretary(world)
    progress_services.report_progress(
        actor=tina,
        task=plan.study,
        unit=world.township_a1x,
        checkpoint=JUNE,
        value="30",
        note="上半年讲党课3次。",
    )
    text = _report(world, tina).sections["performance"]
    assert text.startswith("一、2026年度重点任务完成情况")
    assert (
        "（一）理论学习全覆盖（目标：100 %）：截至06月30日滞后，完成30%。上半年讲党课3次。" in text
    )
    assert "（二）软弱涣散党组织整顿（目标：完成）：尚未填报进度。" in text
    assert "滞后任务：理论学习全覆盖" in text


def test_report_opens_empty_without_a_plan(world):
    tina = township_secretary(world)
    assert _report(world, tina).sections["performance"] == ""
