"""Progress at the checkpoints: reported once, judged against the target, automatic values
never asked for, the host's matrix (pinned queries), requests capped, the notice ladder."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from shuzhi.core import clock
from shuzhi.core.models import AuditEntry, Notification
from shuzhi.core.testing import unit_type
from shuzhi.yearplan.keytasks import services as task_services
from shuzhi.yearplan.progress import services
from shuzhi.yearplan.progress.models import CellState, ProgressNotice, ProgressReport
from shuzhi.yearplan.progress.rules import judge
from shuzhi.yearplan.progress.selectors import applicable_tasks, matrix

from .setup import JUNE, OCTOBER, YEAR, province_plan, task_values, township_secretary

pytestmark = pytest.mark.django_db


def test_judge_numbers_against_the_share_due():
    common: dict[str, Any] = {
        "target_kind": "number",
        "source": "manual",
        "target_value": Decimal("100"),
        "target_date": None,
        "checkpoint": JUNE,
        "reported": None,
    }
    assert judge(**common, value=Decimal("100")) == CellState.DONE
    assert judge(**common, value=Decimal("55")) == CellState.ON_TRACK
    assert judge(**common, value=Decimal("30")) == CellState.BEHIND
    assert judge(**common, value=None) == CellState.NOT_STARTED
    cap: dict[str, Any] = {**common, "source": "rect_overdue", "target_value": Decimal("0")}
    assert judge(**cap, value=Decimal("0")) == CellState.ON_TRACK
    assert judge(**cap, value=Decimal("2")) == CellState.BEHIND
    dated: dict[str, Any] = {
        **common,
        "target_kind": "date",
        "target_date": datetime.date(YEAR, 5, 31),
    }
    assert judge(**dated, value=None) == CellState.NOT_STARTED
    assert judge(**{**dated, "reported": "on_track"}, value=None) == CellState.BEHIND
    assert judge(**{**dated, "reported": "done"}, value=None) == CellState.DONE


def test_township_reports_once_and_corrects(world):
    plan = province_plan(world)
    tina = township_secretary(world)
    unit = world.township_a1x
    assert [t.code for t in applicable_tasks(unit, YEAR)] == ["1", "2"]
    report = services.report_progress(
        actor=tina, task=plan.study, unit=unit, checkpoint=JUNE, value="30", note="已讲党课"
    )
    assert report.state == CellState.BEHIND
    services.report_progress(actor=tina, task=plan.study, unit=unit, checkpoint=JUNE, value="60")
    assert ProgressReport.objects.get().state == CellState.ON_TRACK
    assert AuditEntry.objects.filter(action="yearplan.progress.correct").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"value": ""}, "value", "请填写完成值"),
        ({"value": "-1"}, "value", "不能为负数"),
        ({"value": "abc"}, "value", "必须是数字"),
        ({"value": "5", "note": "很" * 201}, "note", "不超过 200 字"),
        ({"value": "5", "checkpoint": datetime.date(YEAR, 7, 1)}, "checkpoint", "不是本任务"),
    ],
)
def test_bad_progress_is_refused_and_changes_nothing(world, kwargs, field, words):
    plan = province_plan(world)
    tina = township_secretary(world)
    call = {"checkpoint": JUNE, **kwargs}
    with pytest.raises(ValidationError) as exc:
        services.report_progress(actor=tina, task=plan.study, unit=world.township_a1x, **call)
    assert words in " ".join(exc.value.message_dict[field])
    assert not ProgressReport.objects.exists()


def test_only_the_unit_itself_or_its_department_reports(world):
    plan = province_plan(world)
    with pytest.raises(PermissionDenied):
        services.report_progress(
            actor=world.bob, task=plan.study, unit=world.township_a1x, checkpoint=JUNE, value="5"
        )
    services.report_progress(
        actor=world.alice, task=plan.study, unit=world.township_a1x, checkpoint=JUNE, value="5"
    )


def test_values_shuzhi_holds_are_never_asked_for(world):
    plan = province_plan(world, publish=False)
    auto = task_services.save_task(
        actor=world.alice,
        task_list=plan.province,
        applies_to=[unit_type("subdistrict")],
        **task_values(code="3", title="问题整改", source="rect_rate", target_value="90"),
    )
    task_services.publish_list(actor=world.alice, task_list=plan.province)
    tina = township_secretary(world)
    with pytest.raises(ValidationError) as exc:
        services.report_progress(
            actor=tina, task=auto, unit=world.township_a1x, checkpoint=JUNE, value="95"
        )
    assert "最多报一次" in exc.value.messages[0]
    plan.province.refresh_from_db()
    m = matrix(plan.province, world.alice, checkpoint=JUNE)
    row = next(r for r in m.rows if r.unit == world.township_a1x)
    cell = row.cells[2]
    assert cell.automatic and cell.figure == "100%" and cell.state == CellState.DONE


def _county_units(world, n: int):
    from shuzhi.core.testing import make_unit

    return [
        make_unit(f"44010300{i:04d}", f"第{i}社区党委", "community", world.township_a1x)
        for i in range(n)
    ]


def test_matrix_states_rollups_filters_and_pinned_queries(world, django_assert_num_queries):
    plan = province_plan(world)
    units = _county_units(world, 12)
    for i, unit in enumerate(units):
        services.report_progress(
            actor=world.alice,
            task=plan.study,
            unit=unit,
            checkpoint=JUNE,
            value=str(10 * i),
        )
    # On track from 50 % at 6/30 (half a year), done at 100.
    m = matrix(plan.province, world.alice, checkpoint=JUNE, limit=100)
    study = m.by_task[0]
    assert (study["behind"], study["on_track"], study["done"]) == (5, 5, 2)
    assert study["not_started"] == m.total_units - 12
    behind_first = matrix(plan.province, world.alice, checkpoint=JUNE, sort="behind", limit=5)
    assert all(r.counts["behind"] == 1 for r in behind_first.rows)
    only = matrix(plan.province, world.alice, checkpoint=JUNE, only="done")
    assert [r.unit for r in only.rows] == [units[10], units[11]]
    alice = type(world.alice).objects.get(pk=world.alice.pk)
    with django_assert_num_queries(9):
        # grants, tasks, applies_to, count, page, reports, notices, roll-up (types, reports)
        matrix(plan.province, alice, checkpoint=JUNE, limit=50)


def test_notice_ladder_goes_to_units_behind_only(world):
    plan = province_plan(world)
    tina = township_secretary(world)
    services.report_progress(
        actor=tina, task=plan.study, unit=world.township_a1x, checkpoint=JUNE, value="10"
    )
    with pytest.raises(ValidationError) as exc:
        services.send_notices(
            actor=world.alice,
            task_list=plan.province,
            units=[world.county_a2],
            level="urge",
            checkpoint=JUNE,
        )
    assert "只发给进度滞后的单位" in exc.value.messages[0]
    assert not ProgressNotice.objects.exists()
    sent = services.send_notices(
        actor=world.alice,
        task_list=plan.province,
        units=[world.township_a1x],
        level="circular",
        checkpoint=JUNE,
        task=plan.study,
    )
    assert sent[0].level_name == "通报单"
    assert sent[0].fix_by == clock.today() + datetime.timedelta(days=7)
    assert Notification.objects.filter(user=tina, title__startswith="通报单").exists()
    m = matrix(plan.province, world.alice, checkpoint=JUNE, q="沙面街道")
    assert m.rows[0].cells[0].notice == "通报单"
    with pytest.raises(PermissionDenied):
        services.send_notices(
            actor=world.bob,
            task_list=plan.province,
            units=[world.township_a1x],
            level="hint",
            checkpoint=JUNE,
        )


def test_progress_requests_are_capped(world):
    plan = province_plan(world)
    tina = township_secretary(world)
    services.request_progress(actor=world.alice, task_list=plan.province, checkpoint=JUNE)
    services.request_progress(actor=world.alice, task_list=plan.province, checkpoint=OCTOBER)
    assert Notification.objects.filter(user=tina, title__contains="进度").count() == 2
    with pytest.raises(ValidationError) as exc:
        services.request_progress(actor=world.alice, task_list=plan.province, checkpoint=OCTOBER)
    assert "达到上限" in exc.value.messages[0]
    assert plan.province.progress_requests.count() == 2


def test_pages_matrix_export_and_my_progress(world):
    plan = province_plan(world)
    tina = township_secretary(world)
    client = Client()
    client.force_login(tina)
    page = client.get("/plan/progress/")
    assert page.status_code == 200 and "理论学习全覆盖" in page.content.decode()
    answer = client.post(
        "/plan/progress/?checkpoint=2026-06-30",
        {"task": plan.study.pk, "checkpoint": "2026-06-30", "value": "-3", "note": "半年"},
    )
    body = answer.content.decode()
    assert answer.status_code == 200 and "不能为负数" in body and 'value="-3"' in body
    answer = client.post(
        "/plan/progress/?checkpoint=2026-06-30",
        {"task": plan.study.pk, "checkpoint": "2026-06-30", "value": "40", "note": "半年"},
    )
    assert answer.status_code == 302
    assert client.get(f"/plan/{plan.province.pk}/matrix/").status_code == 403
    client.force_login(world.alice)
    page = client.get(f"/plan/{plan.province.pk}/matrix/?checkpoint=2026-06-30")
    assert page.status_code == 200 and "滞后" in page.content.decode()
    export = client.get(f"/plan/{plan.province.pk}/matrix.xlsx?checkpoint=2026-06-30")
    assert export.status_code == 200
    from io import BytesIO

    import openpyxl

    sheet = openpyxl.load_workbook(BytesIO(export.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert "沙面街道党工委" in names


def test_matrix_page_queries_do_not_grow_with_units(world, django_assert_num_queries):
    plan = province_plan(world)
    client = Client()
    client.force_login(world.alice)
    url = f"/plan/{plan.province.pk}/matrix/?checkpoint=2026-06-30&sort=behind"
    client.get(url)
    # session, user, grants, list, tasks, unit types, count, page, reports, notices, roll-up
    # (types, reports), last requests, the host's ladder settings: pinned, for 6 units …
    with django_assert_num_queries(14) as first:
        assert client.get(url).status_code == 200
    _county_units(world, 30)  # … and the same for 36
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200
