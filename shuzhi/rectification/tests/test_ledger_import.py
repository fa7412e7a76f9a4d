"""Importing a problem ledger: every row checked first, nothing stored while one is bad, then
one bulk write numbered per unit and year, with notes, first status records and audit."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from shuzhi.core import clock
from shuzhi.core.models import AuditEntry
from shuzhi.exports.tests.test_sheets import assert_prints
from shuzhi.rectification import ledger_import, policies, services
from shuzhi.rectification.models import (
    LedgerImport,
    Problem,
    ProblemTransition,
    ProgressNote,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 29)
YEAR = 2026
HEADER = (
    "序号,组织代码,单位名称,问题来源,问题描述,严重程度,发现日期,整改措施,"
    "责任领导,责任人,责任部门,责任类型,完成时限,整改进展,状态,验收情况\n"
)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(actor, unit, content: bytes, *, name="ledger.csv", year=YEAR) -> LedgerImport:
    job = ledger_import.create_import(
        actor=actor, unit=unit, year=year, file_name=name, content=content, enqueue=False
    )
    return ledger_import.run_import(job.pk)


GOOD = HEADER + (
    "1,440103,,巡察,组织生活会流于形式,较重,2026-03-15,建立督导机制,王区长,李科长,组织部,"
    "主体责任,2026-06-30,已召开专题会,整改中,\n"
    "2,,沙面街道党工委,巡视,发展党员程序不规范,,2026/4/1,,,,,直接责任,2026年12月底,,,\n"
    "3,440103001001,,专项督察,台账资料不全,严重,2026年5月3日,补齐资料,,张书记,,,长期坚持,,待整改,\n"
    "4,440103,,自查,“三重一大”决策记录缺失,,,,,,,,,,,\n"
)


@pytest.mark.smoke
def test_a_clean_file_creates_every_item(world):
    existing = services.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description="已有的问题",
        source="self",
        found_on=TODAY,
        year=YEAR,
    )
    job = run(world.dave, world.county_a1, GOOD.encode())

    assert job.status == LedgerImport.Status.DONE, job.errors
    assert (job.total_rows, job.done_rows, job.created_count) == (4, 4, 4)
    assert job.errors == [[0, "", "1 行的完成时限为长期坚持：不设完成时限，新问题记为“持续整改”。"]]
    made = list(Problem.objects.exclude(pk=existing.pk).order_by("id"))
    assert [p.description for p in made] == [
        "组织生活会流于形式",
        "发展党员程序不规范",
        "台账资料不全",
        "“三重一大”决策记录缺失",
    ]
    first, second, third, fourth = made
    # Serials continue after the unit's last one, per unit and year.
    assert (first.unit, first.serial) == (world.county_a1, 2)
    assert (second.unit, second.serial) == (world.township_a1x, 1)
    assert (third.unit, third.serial) == (world.village_a1x1, 1)
    assert (fourth.unit, fourth.serial) == (world.county_a1, 3)
    assert first.unit_path == world.county_a1.path
    assert (first.source.code, first.severity, first.status) == ("xuncha", "major", "in_progress")
    assert first.found_on == datetime.date(2026, 3, 15)
    assert first.deadline == datetime.date(2026, 6, 30)
    assert (first.responsible_leader_name, first.responsible_person_name) == ("王区长", "李科长")
    assert (first.responsible_department, first.responsibility_kind) == ("组织部", "principal")
    assert first.measures == "建立督导机制"
    assert first.recorded_by == world.dave
    assert (second.source.code, second.severity, second.status) == ("xunshi", "general", "open")
    assert second.deadline == datetime.date(2026, 12, 31)
    assert second.responsibility_kind == "direct"
    assert third.source.code == "supervision"  # 专项督察 is part of 专项督察/督查
    assert third.deadline is None  # 长期坚持: no due date, recorded as 持续整改
    assert third.status == "long_term"
    assert third.found_on == datetime.date(2026, 5, 3)
    assert fourth.found_on == TODAY  # no date: the day of the import
    note = ProgressNote.objects.get(problem=first)
    assert (note.text, note.on, note.author) == ("已召开专题会", TODAY, world.dave)
    moves = ProblemTransition.objects.filter(problem__in=made).order_by("problem_id")
    assert [(m.from_status, m.to_status) for m in moves] == [
        ("", "in_progress"),
        ("", "open"),
        ("", "long_term"),
        ("", "open"),
    ]
    entry = AuditEntry.objects.get(action="problem.import")
    assert entry.changes["created"] == 4
    assert entry.changes["by_status"] == {"in_progress": 1, "open": 2, "long_term": 1}
    assert entry.note == "ledger.csv"
    per_unit = {
        e.object_label: e.changes for e in AuditEntry.objects.filter(action="problem.import_unit")
    }
    assert per_unit["荔湾区委"] == {"year": YEAR, "created": 2, "serials": [2, 3]}
    assert set(per_unit) == {"荔湾区委", "沙面街道党工委", "沙面社区党委"}


def errors_of(job: LedgerImport) -> list[tuple[int, str, str]]:
    return [tuple(e) for e in job.errors]


def test_every_bad_row_is_reported_and_nothing_is_stored(world):
    bad = HEADER + (
        "1,999999,,巡察,未知组织,,,,,,,,,,,\n"  # row 2
        "2,440303,,巡察,范围外的组织,,,,,,,,,,,\n"  # row 3: 罗湖区委 (city B)
        "3,440103,,天降,未知来源,,,,,,,,,,,\n"  # row 4
        "4,440103,,巡察,日期不对,,2026-13-01,,,,,,,,,\n"  # row 5
        "5,440103,,巡察,,,,,,,,,,,,\n"  # row 6
        "6,440103,,巡察,重复的问题,,,,,,,,,,,\n"  # row 7
        "7,440103,,巡察,重 复的问题,,,,,,,,,,,\n"  # row 8: same once spaces are ignored
        "8,440103,,巡察,想直接销号,,,,,,,,,,已销号,\n"  # row 9
        "9,440103,,巡察,程度不对,很严重,,,,,,,,,,\n"  # row 10
        "10,440103,,巡察,时限不对,,2026-03-01,,,,,,下个月,,,\n"  # row 11
        "11,440103,,巡察,时限早于发现,,2026-03-01,,,,,,2026-02-01,,,\n"  # row 12
        "12,,没有这个单位,巡察,名称不对,,,,,,,,,,,\n"  # row 13
        "13,440103,越秀区委,巡察,代码名称不一致,,,,,,,,,,,\n"  # row 14
        "14,440103,,巡察,发现日期在未来,,2027-01-01,,,,,,,,,\n"  # row 15
        "15,440103,,巡察,责任类型不对,,,,,,,领导责任,,,,\n"  # row 16
    )
    job = run(world.dave, world.county_a1, bad.encode())
    assert job.status == LedgerImport.Status.FAILED
    assert errors_of(job) == [
        (2, "组织代码", "组织代码“999999”在系统中不存在。"),
        (3, "组织代码", "组织“罗湖区委”不在本次导入范围“荔湾区委”之内。"),
        (
            4,
            "问题来源",
            "未知的问题来源“天降”：可选 巡视、巡察、专项督察/督查、随机调研、暗访、"
            "信访/群众反映、上级点评、民主评议、自查、上年度遗留、考核结果运用、领导调研走访。",
        ),
        (5, "发现日期", "发现日期“2026-13-01”无法识别：请写成 2025-03-15 这样的日期。"),
        (6, "问题描述", "问题描述不能为空。"),
        (8, "问题描述", "与第 7 行重复（同一组织、相同的问题描述）。"),
        (
            9,
            "状态",
            "新问题导入时状态只能是 待整改、整改中 或 持续整改（现为“已销号”）："
            "整改完成和销号须在系统中提交并经验收。",
        ),
        (10, "严重程度", "严重程度“很严重”无效：只能是 一般、较重 或 严重。"),
        (
            11,
            "完成时限",
            "完成时限“下个月”无法识别：请写成 2025-06-30、2025年6月底、10月31日前 或 长期坚持。",
        ),
        (12, "完成时限", "完成时限 2026-02-01 早于发现日期 2026-03-01。"),
        (13, "单位名称", "导入范围“荔湾区委”内没有名为“没有这个单位”的组织。"),
        (14, "单位名称", "单位名称“越秀区委”与组织代码“440103”（荔湾区委）不一致。"),
        (15, "发现日期", "发现日期 2026-01-01 晚于今天。".replace("2026-01-01", "2027-01-01")),
        (16, "责任类型", "责任类型“领导责任”无效：只能是 主体责任、第一责任、直接责任、一岗双责。"),
    ]
    assert job.created_count == 0
    assert not Problem.objects.exists()
    assert not ProgressNote.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="problem.").exists()


def test_an_item_already_in_the_years_ledger_is_refused(world):
    assert run(world.dave, world.county_a1, GOOD.encode()).status == "done"
    again = run(world.dave, world.county_a1, GOOD.encode())
    assert again.status == "failed"
    assert [e[0] for e in again.errors] == [2, 3, 4, 5]
    assert "2026 年度台账中已有相同的问题（该组织序号 1）" in again.errors[0][2]
    assert Problem.objects.count() == 4
    # The same items may be recorded in another year's ledger.
    assert run(world.dave, world.county_a1, GOOD.encode(), year=2025).status == "done"


def test_a_name_shared_by_two_units_in_scope_needs_the_code(world):
    from shuzhi.core.testing import make_unit

    make_unit("440104009", "沙面街道党工委", "subdistrict", world.county_a2)
    content = HEADER + ",,沙面街道党工委,巡察,同名单位,,,,,,,,,,,\n"
    # Within 荔湾区委 the name is unique …
    assert run(world.alice, world.county_a1, content.encode()).status == "done"
    # … within 广州市委 it is not.
    job = run(world.alice, world.city_a, content.replace("同名单位", "另一个").encode())
    assert errors_of(job) == [
        (
            2,
            "单位名称",
            "导入范围内有 2 个组织与“沙面街道党工委”相符（沙面街道党工委（440103001）、"
            "沙面街道党工委（440104009））：请在预览中选择，或改填组织代码。",
        )
    ]


def test_inactive_units_are_refused(world):
    type(world.township_a1x).objects.filter(pk=world.township_a1x.pk).update(status="dissolved")
    content = HEADER + ",440103001,,巡察,撤销的组织,,,,,,,,,,,\n"
    job = run(world.dave, world.county_a1, content.encode())
    assert errors_of(job) == [(2, "组织代码", "组织“沙面街道党工委”已撤销，不能再登记问题。")]


def test_scope_and_permission(world):
    # An inspector imports into their own subtree only; a viewer nowhere.
    with pytest.raises(PermissionDenied):
        run(world.dave, world.city_b, GOOD.encode())
    with pytest.raises(PermissionDenied):
        run(world.dave, world.city_a, GOOD.encode())
    with pytest.raises(PermissionDenied):
        run(world.carol, world.city_b, GOOD.encode())
    with pytest.raises(PermissionDenied):
        run(world.bob, world.city_a, GOOD.encode())  # a secretary works on, not records
    assert policies.may_import_ledger(world.dave)
    assert not policies.may_import_ledger(world.carol)
    assert [u.code for u in ledger_import.import_units_for(world.dave)] == ["440103"]
    # A row of another unit of the same city is outside dave's scope, even for alice's
    # import into dave's county.
    content = HEADER + ",440104,,巡察,越秀的问题,,,,,,,,,,,\n"
    job = run(world.alice, world.county_a1, content.encode())
    assert errors_of(job) == [(2, "组织代码", "组织“越秀区委”不在本次导入范围“荔湾区委”之内。")]
    assert run(world.alice, world.city_a, content.encode()).status == "done"


def test_gbk_csv_as_excel_saves_it(world):
    job = run(world.dave, world.county_a1, GOOD.encode("gbk"))
    assert job.status == "done", job.errors
    assert Problem.objects.filter(description="组织生活会流于形式").exists()


def test_xlsx_with_a_title_row_and_excel_dates(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["荔湾区委2026年度问题整改台账"])
    sheet.append(["组织代码", "问题来源", "问题描述*", "发现日期", "完成时限", "备注"])
    sheet.append([440103, "巡察", "Excel 里的问题", datetime.datetime(2026, 2, 3), 46203])
    out = io.BytesIO()
    workbook.save(out)
    job = run(world.dave, world.county_a1, out.getvalue(), name="台账.xlsx")
    assert job.status == "done", job.errors
    assert job.errors == [[0, "", "以下列未导入（列对应中为“不使用”）：备注。"]]
    problem = Problem.objects.get()
    assert problem.found_on == datetime.date(2026, 2, 3)
    assert problem.deadline == datetime.date(2026, 6, 30)  # Excel's day number 46203


def test_verification_is_ignored_with_a_warning(world):
    content = HEADER + ",440103,,巡察,已经整改了,,,,,,,,,,整改中,已验收\n"
    job = run(world.dave, world.county_a1, content.encode())
    assert job.status == "done"
    assert job.errors == [
        [0, "", "“验收情况”列有 1 行填写了内容，导入时未采用：验收和销号须在系统中办理。"]
    ]
    assert Problem.objects.get().verdict == ""


def test_files_that_cannot_be_read(world):
    job = run(world.dave, world.county_a1, "组织代码,问题来源\n440103,巡察\n".encode())
    assert job.status == "failed"
    assert "没有哪一列对应“问题描述”" in job.errors[0][2]
    job = run(world.dave, world.county_a1, "问题描述\n某问题\n".encode())
    # Without a unit column the items would be the scope's own; the source is still missing.
    assert "没有哪一列对应“问题来源”" in job.errors[0][2]
    job = run(world.dave, world.county_a1, b"PK\x03\x04broken", name="x.xlsx")
    assert job.errors[0][2] == "无法读取该 Excel 文件，请确认它是 .xlsx 格式且未损坏。"
    job = run(world.dave, world.county_a1, HEADER.encode())
    assert job.errors == [[0, "", "文件中没有数据行。"]]
    with pytest.raises(ValidationError) as refused:
        ledger_import.create_import(
            actor=world.dave,
            unit=world.county_a1,
            year=1999,
            file_name="ledger.doc",
            content=b"x",
            enqueue=False,
        )
    assert set(refused.value.message_dict) == {"file", "year"}
    assert not Problem.objects.exists()


def test_error_report_keeps_the_rows_beside_their_errors(world):
    content = GOOD + "5,440103,,天降,未知来源,,,,,,,,,,,\n"
    job = run(world.dave, world.county_a1, content.encode())
    sheet = load_workbook(io.BytesIO(ledger_import.report_of(job))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("行号", "错误说明", "序号", "组织代码", "单位名称")
    assert len(rows) == 6
    assert rows[5][0] == 6
    assert rows[5][1].startswith("问题来源：未知的问题来源“天降”")
    assert rows[5][6] == "未知来源"
    assert rows[1][1] is None  # good rows carry no message
    assert_prints(sheet, landscape=True)  # the upload's 16 columns and the two added
    # The report, corrected, imports again: its two extra columns are ignored.
    sheet.cell(row=6, column=6, value="自查")
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    again = run(world.dave, world.county_a1, fixed.getvalue(), name="fixed.xlsx")
    assert again.status == "done", again.errors
    assert again.created_count == 5


def test_a_row_with_several_errors_reads_as_one_sentence(world):
    content = GOOD + "5,440103,,天降,,,,,,,,,,,,\n"  # unknown source and no description
    job = run(world.dave, world.county_a1, content.encode())
    sheet = load_workbook(io.BytesIO(ledger_import.report_of(job))).active
    message = list(sheet.iter_rows(values_only=True))[5][1]
    assert message.count("；") == 1 and message.endswith("。")
    assert "。；" not in message and "。。" not in message


def test_join_messages():
    from shuzhi.rectification.ledger_import.common import join_messages

    assert join_messages(["甲：不能为空。", "乙：无效。"]) == "甲：不能为空；乙：无效。"
    assert join_messages(["只有一处。"]) == "只有一处。"
    assert join_messages(["没有句号"]) == "没有句号。"
    assert join_messages([]) == ""


def test_the_task_runs_the_job_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = ledger_import.create_import(
            actor=world.dave,
            unit=world.county_a1,
            year=YEAR,
            file_name="a.csv",
            content=GOOD.encode(),
        )
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 4)
    # A finished job is not run twice.
    assert ledger_import.run_import(job.pk).created_count == 4
    assert Problem.objects.count() == 4


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2025-06-30", True, datetime.date(2025, 6, 30)),
        ("2025/6/3", False, datetime.date(2025, 6, 3)),
        ("2025.6.3", False, datetime.date(2025, 6, 3)),
        ("2025年6月3日", False, datetime.date(2025, 6, 3)),
        ("2025年6月", True, datetime.date(2025, 6, 30)),
        ("2025年6月", False, datetime.date(2025, 6, 1)),
        ("2025年2月底", False, datetime.date(2025, 2, 28)),
        ("20250603", False, datetime.date(2025, 6, 3)),
        ("2025-06-03 00:00:00", False, datetime.date(2025, 6, 3)),
        ("45811", False, datetime.date(2025, 6, 3)),
        ("2025-02-30", False, None),
        ("明年", False, None),
    ],
)
def test_dates_as_ledgers_write_them(text, end, expected):
    assert ledger_import.parse_date(text, end_of_month=end) == expected


def test_a_large_load_rebuilds_the_foreign_keys(world, settings):
    """Above the threshold PostgreSQL loads without the tables' foreign keys and re-creates
    them, validated, before the commit; nothing else changes."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("foreign keys are rebuilt on PostgreSQL only")

    def keys() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                [list(ledger_import.WRITTEN_TABLES)],
            )
            return cursor.fetchall()

    before = keys()
    assert len(before) >= 10
    settings.SHUZHI_IMPORT_REBUILD_FK_ROWS = 2
    job = run(world.dave, world.county_a1, GOOD.encode())
    assert (job.status, job.created_count) == ("done", 4)
    assert keys() == before
    assert ProblemTransition.objects.count() == 4


def test_a_deadline_is_compared_with_a_given_found_date_only(world):
    content = HEADER + ",440103,,巡察,没有发现日期的旧问题,,,,,,,,2025-06-30,,,\n"
    job = run(world.dave, world.county_a1, content.encode(), year=2025)
    assert job.status == "done", job.errors
    problem = Problem.objects.get()
    assert (problem.found_on, problem.deadline) == (
        datetime.date(2025, 12, 31),
        datetime.date(2025, 6, 30),
    )


def test_the_error_report_is_stored_at_import_and_never_reads_the_upload_again(world):
    content = GOOD + "5,440103,,天降,未知来源,,,,,,,,,,,\n"
    job = run(world.dave, world.county_a1, content.encode())
    assert job.status == "failed" and job.error_report
    # The upload is gone (or swapped for a hostile file): the stored report is unaffected.
    with job.file.open("wb") as stream:
        stream.write(b"PK\x03\x04 not a workbook")
    job.refresh_from_db()
    rows = list(load_workbook(io.BytesIO(ledger_import.report_of(job))).active.values)
    assert len(rows) == 6 and rows[5][6] == "未知来源"
