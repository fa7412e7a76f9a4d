"""Export the problem ledger to Excel in the columns an organisation department uses, ready to
print; and the blank import template.

The export takes the ledger page's scope and filters (``selectors.ledger_queryset``) and writes
序号, 问题来源, 问题描述, 整改措施, 责任领导, 责任人, 完成时限, 整改进展, 状态, 验收情况, 发现日期,
组织代码 — with a 单位 column after 序号 when the rows span more than one unit. 整改进展 holds the
latest progress notes; 逾期 is derived at export time and shown as “整改中（逾期）”. 发现日期 and
组织代码 come last, so the columns before them keep their places; with them the file carries what
the ledger import needs. The sheet has a title row, fixed column widths with wrapped text, a
frozen header, and the shared print setup (``exports.sheets.print_setup``: A4 landscape fitted
to the page width, the header repeated on every page, page numbers).

Rows are streamed from the database in chunks into a write-only workbook on a temporary file,
so a national export of hundreds of thousands of items keeps memory flat.
"""

from __future__ import annotations

import copy
import datetime
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

from shuzhi.core import audit, clock
from shuzhi.exports.cells import append_row, safe_cell
from shuzhi.exports.sheets import (
    bold_row,
    column_widths,
    new_workbook,
    print_setup,
    workbook_bytes,
)

from .ledger_import import EXAMPLE_ROW, TEMPLATE_COLUMNS, import_units_for
from .models import ACTIVE_STATUSES, ProblemSource, ProblemStatus, ProgressNote, Severity
from .models import ResponsibilityKind as Kind
from .selectors import LedgerFilters, ledger_queryset

# Column title → width in characters (Excel's unit), chosen for A4 landscape.
COLUMNS: list[tuple[str, float]] = [
    ("序号", 6),
    ("单位", 14),
    ("问题来源", 10),
    ("问题描述", 36),
    ("整改措施", 30),
    ("责任领导", 9),
    ("责任人", 9),
    ("完成时限", 11),
    ("整改进展", 30),
    ("状态", 10),
    ("验收情况", 18),
    ("发现日期", 11),
    ("组织代码", 12),
]
# How many of the latest progress notes 整改进展 shows.
NOTES_SHOWN = 3
CHUNK = 2000
STATUS_LABEL = dict(ProblemStatus.choices)
OVERDUE_LABEL = "整改中（逾期）"

_FIELDS = (
    "id",
    "unit__name",
    "source__name",
    "description",
    "measures",
    "responsible_leader_name",
    "responsible_person_name",
    "deadline",
    "status",
    "verified_on",
    "verdict",
    "verifier__full_name",
    "verifier__username",
    "carried_over",
    "found_on",
    "unit__code",
    "serial",
)


def status_text(
    status: str, deadline: datetime.date | None, today: datetime.date, carried_over: bool = False
) -> str:
    """The status as the ledger prints it; 逾期 is derived from the deadline, never stored. An
    item carried into the next year says so: its copy there is the one worked on."""
    if carried_over and status != ProblemStatus.CLOSED:
        return f"{STATUS_LABEL.get(status, status)}（已转入下一年度）"
    if status in ACTIVE_STATUSES and deadline is not None and deadline < today:
        return OVERDUE_LABEL if status == ProblemStatus.IN_PROGRESS else "待整改（逾期）"
    return str(STATUS_LABEL.get(status, status))


def verification_text(status: str, verified_on, verdict: str, verifier: str) -> str:
    """验收情况: who verified and when, with the verdict; or that verification is pending."""
    if status == ProblemStatus.CLOSED:
        head = "已验收销号"
        if verified_on:
            head += f"（{verified_on:%Y-%m-%d}"
            head += f"，{verifier}）" if verifier else "）"
        return f"{head}：{verdict}" if verdict else head
    if status == ProblemStatus.SUBMITTED:
        return "待验收"
    return verdict


def _notes(problem_ids: list[int]) -> dict[int, str]:
    """The latest notes of each problem, newest last, one per line."""
    latest: dict[int, list[str]] = {}
    rows = (
        ProgressNote.objects.filter(problem_id__in=problem_ids)
        .order_by("problem_id", "-on", "-id")
        .values_list("problem_id", "on", "text")
    )
    for problem_id, on, text in rows:
        shown = latest.setdefault(problem_id, [])
        if len(shown) < NOTES_SHOWN:
            shown.append(f"{on:%Y-%m-%d}：{text}")
    return {pk: "\n".join(reversed(lines)) for pk, lines in latest.items()}


def ledger_rows(user, filters: LedgerFilters, *, today: datetime.date) -> Iterator[list]:
    """The export's rows (序号 — the item's serial in its unit, so an edited export can be
    imported back to update the items it names — then the columns, 单位 always included), in
    unit and serial order."""
    rows = (
        ledger_queryset(user, filters, today=today)
        .select_related(None)
        .order_by("unit_path", "serial", "id")
        .values_list(*_FIELDS)
    )
    batch: list[tuple] = []

    def flush() -> Iterator[list]:
        notes = _notes([row[0] for row in batch])
        for row in batch:
            (pk, unit, source, description, measures, leader, person, deadline) = row[:8]
            status, verified_on, verdict, verifier_name, verifier_login, carried = row[8:14]
            found_on, unit_code, serial = row[14:]
            yield [
                serial,
                unit,
                source,
                description,
                measures,
                leader,
                person,
                deadline,
                notes.get(pk, ""),
                status_text(status, deadline, today, carried),
                verification_text(status, verified_on, verdict, verifier_name or verifier_login),
                found_on,
                unit_code,
            ]

    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def export_title(filters: LedgerFilters) -> str:
    """The sheet's title, e.g. 荔湾区委2025年度问题整改台账."""
    unit = filters.unit.name if filters.unit is not None else ""
    year = f"{filters.year}年度" if filters.year else ""
    return f"{unit}{year}问题整改台账"


def filter_note(filters: LedgerFilters, today: datetime.date) -> str:
    """The sheet's second row: the filters of the page the export came from, so a printed
    copy says which part of the ledger it is (筛选条件：年度=2026；状态=整改中…)."""
    parts = []
    if filters.year:
        parts.append(f"年度={filters.year}")
    if filters.unit is not None:
        parts.append(f"单位={filters.unit.name}（含下级）")
    if filters.source:
        name = ProblemSource.objects.filter(code=filters.source).values_list("name", flat=True)
        parts.append(f"来源={name.first() or filters.source}")
    if filters.status:
        parts.append(f"状态={STATUS_LABEL.get(filters.status, filters.status)}")
    if filters.severity:
        parts.append(f"严重程度={dict(Severity.choices).get(filters.severity)}")
    if filters.overdue:
        parts.append("只含逾期")
    if filters.q:
        parts.append(f"描述含“{filters.q}”")
    if filters.responsible:
        parts.append(f"责任人={filters.responsible}")
    shown = "；".join(parts) if parts else "无（您可查看的全部问题）"
    return f"筛选条件：{shown}　导出日期：{today:%Y-%m-%d}"


def write_ledger(
    out: IO[bytes],
    *,
    user,
    filters: LedgerFilters,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the ledger workbook to ``out``; answers the number of items written.
    ``progress`` (a background export's) hears the rows written so far, once per chunk."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    today = clock.today()
    units = ledger_queryset(user, filters, today=today).order_by().values("unit_id").distinct()
    several_units = units[:2].count() > 1
    columns = [c for c in COLUMNS if several_units or c[0] != "单位"]
    width = len(columns)
    last = get_column_letter(width)

    workbook, sheet = new_workbook("整改台账", write_only=True)
    column_widths(sheet, [chars for _title, chars in columns])
    sheet.freeze_panes = "A4"
    print_setup(sheet, title_rows="3:3", columns=width)
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.merged_cells.add(f"A1:{last}1")
    sheet.merged_cells.add(f"A2:{last}2")

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def cell(value, *, font=None, alignment=wrap, boxed=True, number_format=None):
        item = WriteOnlyCell(sheet, value=safe_cell(value))
        item.alignment = alignment
        if font is not None:
            item.font = font
        if boxed:
            item.border = border
        if number_format:
            item.number_format = number_format
        return item

    title = cell(
        export_title(filters), font=Font(size=16, bold=True), alignment=centred, boxed=False
    )
    sheet.append([title])
    sheet.append(
        [
            cell(
                filter_note(filters, today),
                alignment=Alignment(horizontal="right"),
                boxed=False,
            )
        ]
    )
    bold = Font(bold=True)
    sheet.append([cell(name, font=bold, alignment=centred) for name, _w in columns])

    # Body cells copy the style of three prototypes: assigning style objects cell by cell
    # makes openpyxl hash them every time, which would dominate a large export.
    top = Alignment(horizontal="center", vertical="top", wrap_text=True)
    text_style = cell("")._style
    serial_style = cell(0, alignment=top)._style
    date_style = cell(today, alignment=top, number_format="yyyy-mm-dd")._style

    def styled(value, style):
        # Text a unit typed (descriptions, notes, names) may start like a formula or carry
        # control characters: every value goes through the one export guard.
        item = WriteOnlyCell(sheet, value=safe_cell(value))
        item._style = copy.copy(style)
        return item

    count = 0
    for row in ledger_rows(user, filters, today=today):
        count += 1
        serial, *values = row
        if not several_units:
            values = values[1:]
        cells = [styled(serial, serial_style)]
        for value in values:
            is_date = isinstance(value, datetime.date)
            cells.append(styled(value, date_style if is_date else text_style))
        sheet.append(cells)
        if progress is not None and count % CHUNK == 0:
            progress(count)
    workbook.save(out)  # type: ignore[arg-type]
    return count


def export_ledger(
    *, actor, filters: LedgerFilters, progress: Callable[[int], None] | None = None
) -> tuple[IO[bytes], int]:
    """The ledger as an .xlsx on a temporary file (rewound), and the number of items.

    Records one ``problem.export`` audit entry: ledgers name people and shortcomings, so who
    took a copy is kept.
    """
    # The response closes the file once sent.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    count = write_ledger(out, user=actor, filters=filters, progress=progress)
    out.seek(0)
    audit.record(
        actor=actor,
        action="problem.export",
        object_type="orgs.unit" if filters.unit is not None else "",
        object_id=str(filters.unit.pk) if filters.unit is not None else "",
        object_label=export_title(filters),
        scope_path=filters.unit.path if filters.unit is not None else "",
        changes={"rows": count, "year": filters.year, "status": filters.status},
    )
    return out, count


def export_file_name(filters: LedgerFilters) -> str:
    return f"{export_title(filters)}.xlsx"


TEMPLATE_FILE_NAME = "问题台账导入模板.xlsx"
# Rows of the template that carry the drop-down lists (the header is row 1).
TEMPLATE_ROWS = 2000
# The statuses a file may bring in (closing and verification are done in the system).
TEMPLATE_STATUSES = ["待整改", "整改中"]


def example_row(units: list) -> list[str]:
    """The template's example row, naming the first of ``units`` (the tops of the user's import
    scopes, ``ledger_import.import_units_for``) so the sample can be kept and edited rather
    than replaced; dates in this year. Without units the unit is left for the user to fill."""
    row = list(EXAMPLE_ROW)
    code_at = TEMPLATE_COLUMNS.index("组织代码")
    name_at = TEMPLATE_COLUMNS.index("单位名称")
    row[code_at], row[name_at] = (units[0].code, units[0].name) if units else ("", "本单位名称")
    year = clock.today().year
    for key in ("发现日期", "完成时限"):
        at = TEMPLATE_COLUMNS.index(key)
        row[at] = f"{year}{row[at][4:]}" if row[at][:4].isdigit() else row[at]
    return row


def template_workbook(user=None) -> bytes:
    """The blank import template: the import's columns, an example row in ``user``'s scope
    (the fixed :data:`EXAMPLE_ROW` without a user), drop-down lists on the choice columns, and
    a sheet explaining each column.

    The lists (active problem sources, severities, responsibility kinds, importable statuses)
    sit on a hidden sheet and the validations refer to its ranges: an inline list is limited
    to 255 characters, which a long source list exceeds. Invalid entries are refused by Excel
    with a message; the import checks them again anyway (WPS and LibreOffice honour the lists
    too, other tools may not)."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook, sheet = new_workbook("问题台账")
    sheet.append(TEMPLATE_COLUMNS)
    append_row(sheet, example_row(import_units_for(user)) if user is not None else EXAMPLE_ROW)

    choices = {
        "问题来源": list(
            ProblemSource.objects.filter(is_active=True)
            .order_by("sort_order", "id")
            .values_list("name", flat=True)
        ),
        "严重程度": [str(label) for label in Severity.labels],
        "责任类型": [str(label) for label in Kind.labels],
        "状态": TEMPLATE_STATUSES,
    }
    lists = workbook.create_sheet("选项")
    lists.sheet_state = "hidden"
    for index, (name, values) in enumerate(choices.items(), start=1):
        letter = get_column_letter(index)
        lists[f"{letter}1"] = name
        for number, value in enumerate(values, start=2):
            lists[f"{letter}{number}"] = safe_cell(value)
        if not values:
            continue
        validation = DataValidation(
            type="list",
            formula1=f"'选项'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{name}无效",
            error=f"请从下拉列表中选择{name}。",
            showInputMessage=True,
            promptTitle=name,
            prompt="请从下拉列表中选择。",
        )
        target = get_column_letter(TEMPLATE_COLUMNS.index(name) + 1)
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    bold_row(sheet[1])
    wide = ("问题描述", "整改措施", "整改进展")
    column_widths(
        sheet, [36 if name in wide else max(10, len(name) * 2 + 2) for name in TEMPLATE_COLUMNS]
    )
    for cell in sheet[2]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    print_setup(sheet)

    help_sheet = workbook.create_sheet("填写说明", 1)
    help_sheet.append(["列", "填写要求"])
    sources = "、".join(choices["问题来源"])
    for row in (
        ("序号", "可选，仅供核对；系统按组织和年度自动编排序号。"),
        ("组织代码", "问题所在组织的代码（推荐）；与“单位名称”至少填写一项。"),
        ("单位名称", "只填名称时，须在导入范围内唯一。"),
        ("问题来源", f"必填，可从下拉列表选择：{sources}。"),
        ("问题描述", "必填，不超过 2000 字；同一组织同一年度不能重复。"),
        ("严重程度", "一般、较重、严重；留空为一般。"),
        ("发现日期", "如 2025-03-15；留空为导入当天（不晚于该年度年底）。"),
        ("责任类型", "、".join(map(str, Kind.labels)) + "；留空为主体责任。"),
        ("完成时限", "如 2025-06-30 或 2025年6月底；长期坚持的填“长期坚持”。"),
        ("整改进展", "可选，导入后成为一条整改进展记录。"),
        ("状态", "待整改 或 整改中；留空为待整改。整改完成和销号须在系统中办理。"),
        ("验收情况", "导入时不采用。"),
    ):
        append_row(help_sheet, row)
    column_widths(help_sheet, [12, 80])
    print_setup(help_sheet)
    return workbook_bytes(workbook)
