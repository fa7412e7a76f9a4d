"""The ledger's Excel export, read back with openpyxl; and the blank import template."""

from __future__ import annotations

import datetime
import html
import io
import re

import pytest
from openpyxl import load_workbook

from shuzhi.core import clock
from shuzhi.core.models import AuditEntry
from shuzhi.exports.tests.test_sheets import assert_prints
from shuzhi.rectification import ledger_export, ledger_import, services
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.rectification.selectors import LedgerFilters

from .problem_fixtures import FOUND, put_in_status, record

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 11, 20)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def ledger(world, media):
    """Four items of 2025 in 荔湾区委's subtree (one overdue, one closed) and one elsewhere."""
    first = record(world, description="组织生活会流于形式", deadline=datetime.date(2025, 6, 30))
    services.transition(actor=world.alice, problem=first, to_status=ProblemStatus.IN_PROGRESS)
    services.add_note(
        actor=world.alice, problem=first, on=datetime.date(2025, 5, 1), text="召开专题会"
    )
    services.add_note(
        actor=world.alice, problem=first, on=datetime.date(2025, 7, 1), text="补齐记录"
    )
    second = record(world, description="发展党员程序不规范", deadline=datetime.date(2025, 12, 31))
    closed = record(world, unit=world.township_a1x, description="台账资料不全")
    put_in_status(closed, ProblemStatus.CLOSED, verifier=world.dave)
    Problem.objects.filter(pk=closed.pk).update(
        verified_on=datetime.date(2025, 10, 8), verdict="资料已补齐，核查属实"
    )
    record(world, description="去年的问题", year=2024)
    services.create_problem(
        actor=world.alice,
        unit=world.county_b1,
        description="深圳的问题",
        source="xunshi",
        found_on=datetime.date(2025, 2, 1),
        year=2025,
    )
    return first, second, closed


def read(data) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data))
    return list(workbook.active.iter_rows(values_only=True))


def export(user, **filters) -> bytes:
    out, _count = ledger_export.export_ledger(actor=user, filters=LedgerFilters(**filters))
    return out.read()


@pytest.mark.smoke
def test_export_of_a_subtree_in_the_departments_columns(world, ledger):
    data = export(world.dave, year=2025, unit=world.county_a1)
    rows = read(data)
    assert rows[0][0] == "荔湾区委2025年度问题整改台账"
    assert "导出日期：2025-11-20" in rows[1][0]
    assert rows[2] == (
        "序号",
        "单位",
        "问题来源",
        "问题描述",
        "整改措施",
        "责任领导",
        "责任人",
        "完成时限",
        "整改进展",
        "状态",
        "验收情况",
        "发现日期",
        "组织代码",
    )
    body = rows[3:]
    assert [r[3] for r in body] == ["组织生活会流于形式", "发展党员程序不规范", "台账资料不全"]
    first, second, closed = body
    assert first[:3] == (1, "荔湾区委", "巡察")
    assert first[4] == "逐一核查支部记录，补齐台账，建立月度检查制度。"
    assert (first[5], first[6]) == ("周领导", "孙责任")
    assert first[7] == datetime.datetime(2025, 6, 30)
    assert first[8] == "2025-05-01：召开专题会\n2025-07-01：补齐记录"
    assert first[9] == "整改中（逾期）"  # derived at export time
    assert second[9] == "待整改"
    assert second[8] is None
    assert closed[:2] == (1, "沙面街道党工委")  # 序号 is the item's serial in its unit
    assert closed[9] == "已销号"
    assert closed[10] == "已验收销号（2025-10-08，赵督查）：资料已补齐，核查属实"
    # The two columns the ledger import needs, after the department's columns.
    found = datetime.datetime.combine(FOUND, datetime.time())
    assert [r[11:] for r in body] == [
        (found, "440103"),
        (found, "440103"),
        (found, "440103001"),
    ]
    entry = AuditEntry.objects.get(action="problem.export")
    assert (entry.actor, entry.changes["rows"]) == (world.dave, 3)


def test_the_sheet_is_laid_out_for_printing(world, ledger):
    sheet = load_workbook(io.BytesIO(export(world.dave, year=2025, unit=world.county_a1))).active
    assert sheet.freeze_panes == "A4"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert_prints(sheet, landscape=True, title_rows="$3:$3")
    assert "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.column_dimensions["D"].width == 36
    assert sheet["D4"].alignment.wrap_text
    assert sheet["A3"].font.b


def test_one_units_ledger_has_no_unit_column(world, ledger):
    rows = read(export(world.dave, year=2025, unit=world.township_a1x))
    assert rows[0][0] == "沙面街道党工委2025年度问题整改台账"
    assert rows[2][:3] == ("序号", "问题来源", "问题描述")
    assert len(rows[2]) == 12
    assert rows[3][:3] == (1, "巡察", "台账资料不全")
    assert rows[2][-2:] == ("发现日期", "组织代码")
    assert rows[3][-2:] == (datetime.datetime.combine(FOUND, datetime.time()), "440103001")


def test_filters_and_scope(world, ledger):
    overdue = read(export(world.dave, year=2025, overdue=True))
    assert [r[2] for r in overdue[3:]] == ["组织生活会流于形式"]
    assert overdue[0][0] == "2025年度问题整改台账"
    closed = read(export(world.dave, status=ProblemStatus.CLOSED))
    assert [r[2] for r in closed[3:]] == ["台账资料不全"]
    # carol sees city B only; alice the whole province.
    assert [r[2] for r in read(export(world.carol, year=2025))[3:]] == ["深圳的问题"]
    assert len(read(export(world.alice, year=2025))) == 3 + 4
    assert len(read(export(world.erin, year=2025))) == 3  # the header, no rows


def test_pages_and_api_answer_the_file(client, world, ledger):
    client.force_login(world.dave)
    response = client.get("/problems/export/", {"year": 2025, "unit": "440103"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = read(b"".join(response.streaming_content))
    assert len(rows) == 3 + 3
    # A unit out of sight answers 404, as if it did not exist.
    assert client.get("/problems/export/", {"unit": "440303"}).status_code == 404
    api = client.get("/api/problems/export", {"year": 2025, "status": "open"})
    assert api.status_code == 200
    assert [r[2] for r in read(b"".join(api.streaming_content))[3:]] == ["发展党员程序不规范"]
    assert client.get("/api/problems/export", {"unit": "440303"}).status_code == 404
    client.logout()
    assert client.get("/problems/export/").status_code == 302
    assert client.get("/api/problems/export").status_code == 401


def test_a_large_export_streams_every_row(world, media):
    """More rows than one chunk: notes are read per chunk and every row arrives in order."""
    content = "组织代码,问题来源,问题描述,整改进展\n" + "".join(
        f"440103,自查,问题{n:05d},进展{n}\n" for n in range(ledger_export.CHUNK + 5)
    )
    job = ledger_import.create_import(
        actor=world.dave,
        unit=world.county_a1,
        year=2025,
        file_name="big.csv",
        content=content.encode(),
        enqueue=False,
    )
    assert ledger_import.run_import(job.pk).status == "done"
    rows = read(export(world.dave, year=2025))[3:]
    assert len(rows) == ledger_export.CHUNK + 5
    assert rows[-1][0] == ledger_export.CHUNK + 5
    assert rows[-1][2] == f"问题{ledger_export.CHUNK + 4:05d}"
    assert rows[-1][7] == f"2025-11-20：进展{ledger_export.CHUNK + 4}"


def test_the_template_lists_the_import_columns_and_imports_as_it_is(world, media):
    data = ledger_export.template_workbook(world.dave)
    workbook = load_workbook(io.BytesIO(data))
    rows = list(workbook["问题台账"].iter_rows(values_only=True))
    assert list(rows[0]) == ledger_import.TEMPLATE_COLUMNS
    assert rows[0][:5] == ("序号", "组织代码", "单位名称", "问题来源", "问题描述")
    assert rows[1][1] == "440103"
    assert_prints(workbook["问题台账"], landscape=True)
    assert_prints(workbook["填写说明"], landscape=False)
    help_rows = list(workbook["填写说明"].iter_rows(values_only=True))
    assert any(r[0] == "问题来源" and "巡察" in r[1] for r in help_rows)
    job = ledger_import.create_import(
        actor=world.dave,
        unit=world.county_a1,
        year=clock.today().year,  # the example's dates are in this year
        file_name="ledger-template.xlsx",
        content=data,
        enqueue=False,
    )
    job = ledger_import.run_import(job.pk)
    assert job.status == "done", job.errors
    problem = Problem.objects.get()
    assert (problem.unit, problem.status) == (world.county_a1, ProblemStatus.IN_PROGRESS)


PAGE_ROW = re.compile(r'<a href="/problems/(\d+)/">')


@pytest.mark.parametrize(
    ("query", "note"),
    [
        # Without a year the page shows this year's ledger, and so does the export.
        ({}, "筛选条件：年度=2025　"),
        ({"year": ""}, "筛选条件：无（您可查看的全部问题）"),
        ({"year": "2025", "overdue": "on"}, "筛选条件：年度=2025；只含逾期"),
        ({"year": "", "status": ProblemStatus.CLOSED}, "筛选条件：状态=已销号"),
        ({"year": "2025", "unit": "440103", "q": "党员"}, "单位=荔湾区委（含下级）；描述含“党员”"),
    ],
)
def test_the_export_holds_exactly_the_rows_the_page_shows(client, world, ledger, query, note):
    """Whatever the filters and search on the ledger page, its 导出 Excel link answers the same
    problems — no more, no fewer — and the sheet's second row names those filters."""
    client.force_login(world.alice)
    page = client.get("/problems/", query).content.decode()
    shown = set(
        Problem.objects.filter(pk__in=PAGE_ROW.findall(page)).values_list("description", flat=True)
    )
    link = re.search(r'href="(/problems/export/[^"]*)"', page)
    assert link is not None
    response = client.get(html.unescape(link.group(1)))
    rows = read(b"".join(response.streaming_content))
    assert note in rows[1][0]
    described = list(rows[2]).index("问题描述")
    exported = {row[described] for row in rows[3:]}
    assert exported == shown
    assert len(rows) - 3 == len(PAGE_ROW.findall(page))


def test_a_selection_too_large_for_a_request_is_exported_in_the_background(
    client, world, ledger, settings, monkeypatch
):
    """Over the limit, 导出 Excel says so and offers the background export; the task writes
    the same rows as the page, reports its progress chunk by chunk, and the file goes to the
    person who asked (inbox link), to nobody else."""
    from shuzhi.core.models import Notification
    from shuzhi.rectification import ledger_export_jobs

    settings.SHUZHI_LEDGER_EXPORT_INLINE_MAX = 1
    monkeypatch.setattr(ledger_export, "CHUNK", 1)
    states: list[dict] = []
    write = ledger_export_jobs._write_progress

    def recorded(user_id: int, stem: str, **state) -> None:
        states.append(state)
        write(user_id, stem, **state)

    monkeypatch.setattr(ledger_export_jobs, "_write_progress", recorded)
    client.force_login(world.alice)
    shown = PAGE_ROW.findall(client.get("/problems/", {"year": "2025"}).content.decode())
    assert len(shown) == 4
    offer = client.get("/problems/export/", {"year": "2025"}).content.decode()
    assert "在后台导出" in offer and "筛选条件：年度=2025" in offer and "超过 1 条" in offer
    response = client.post("/problems/export/background/", {"query": "year=2025"})
    assert response.status_code == 302 and response["Location"] == "/problems/?year=2025"
    assert [(s["done"], s["total"], s["finished"]) for s in states] == [
        (0, 0, False),
        (0, 4, False),
        (1, 4, False),
        (2, 4, False),
        (3, 4, False),
        (4, 4, False),
        (4, 4, True),
    ]
    note = Notification.objects.get(user=world.alice, kind="problem.export")
    rows = read(b"".join(client.get(note.url).streaming_content))
    assert len(rows) - 3 == len(shown) and "筛选条件：年度=2025" in rows[1][0]
    listing = client.get("/problems/", {"year": "2025"}).content.decode()
    assert 'id="background-exports"' in listing and "已完成" in listing
    assert AuditEntry.objects.filter(action="problem.export.download").count() == 1
    client.force_login(world.dave)
    assert client.get(note.url).status_code == 404
    assert client.get("/problems/export/files/..%2Fx.xlsx").status_code == 404
