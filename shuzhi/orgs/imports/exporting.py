"""Export a subtree of units in the import format (CSV UTF-8 with BOM, or XLSX).

The columns are the import's: ``code, name, parent_code, type, short_name``; ``type`` is the
type code, which stays stable when an administrator renames a type. Rows come parent first, then
each child's subtree in code order, so the file reads like the tree and does not depend on
database ids: exporting, importing the file elsewhere and exporting again gives the same bytes.
The top unit's ``parent_code`` is its real parent, so re-importing the file moves nothing.
Only active units are exported (the format has no status column). Cells go through
``shuzhi.exports.cells``: a name that starts like a formula is written with a leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.http import Http404

from shuzhi.exports.cells import append_row
from shuzhi.exports.responses import CSV, XLSX
from shuzhi.exports.sheets import csv_bytes, new_workbook, print_setup, workbook_bytes
from shuzhi.orgs.tree.models import Unit, UnitStatus, UnitType

EXPORT_COLUMNS = ["code", "name", "parent_code", "type", "short_name"]
FORMATS = {"csv": CSV, "xlsx": XLSX}

# An example for the template file and the help text of the import page.
EXAMPLE_ROWS = [
    ["440000", "中共广东省委员会", "", "province", "广东省委"],
    ["440100", "中共广州市委员会", "440000", "city", "广州市委"],
    ["440103", "中共广州市荔湾区委员会", "440100", "county", "荔湾区委"],
    ["440103001", "沙面街道党工委", "440103", "街道党工委", ""],
    ["440103001001", "沙面社区党委", "440103001", "community", ""],
]


def unit_for_export(actor, code: str) -> Unit:
    """The active unit ``code`` if ``actor`` may export it; 404 otherwise (as if absent)."""
    code = (code or "").strip()
    if not code:
        raise Http404
    unit = (
        Unit.objects.visible_to(actor, "unit.export")
        .filter(code=code, status=UnitStatus.ACTIVE)
        .first()
    )
    if unit is None:
        raise Http404
    return unit


def subtree_rows(actor, unit: Unit) -> Iterator[list[str]]:
    """The rows of ``unit``'s subtree that ``actor`` may export, parent before children."""
    type_codes = dict(UnitType.objects.values_list("id", "code"))
    records = (
        Unit.objects.subtree_of(unit)
        .visible_to(actor, "unit.export")
        .filter(status=UnitStatus.ACTIVE)
        .order_by()
        .values_list("id", "parent_id", "code", "name", "type_id", "short_name")
    )
    children: dict[int | None, list[tuple]] = {}
    by_id: dict[int, tuple] = {}
    for record in records.iterator(chunk_size=20_000):
        by_id[record[0]] = record
        children.setdefault(record[1], []).append(record)
    for siblings in children.values():
        siblings.sort(key=lambda r: r[2])
    parent_code = ""
    if unit.parent_id:
        parent_code = Unit.objects.filter(pk=unit.parent_id).values_list("code", flat=True)[0]
    top = by_id.get(unit.pk)
    if top is None:
        return
    codes = {unit.pk: unit.code}
    stack = [(top, parent_code)]
    while stack:
        record, parent = stack.pop()
        codes[record[0]] = record[2]
        yield [record[2], record[3], parent, type_codes[record[4]], record[5]]
        for child in reversed(children.get(record[0], ())):
            stack.append((child, record[2]))


def rows_as_csv(rows) -> bytes:
    """CSV in UTF-8 with a BOM, so Excel on Chinese Windows shows the text correctly."""
    return csv_bytes(EXPORT_COLUMNS, rows)


def rows_as_xlsx(rows, *, title: str = "组织") -> bytes:
    """One worksheet; every cell is text so codes like 0101 keep their leading zeros."""
    workbook, sheet = new_workbook(title, write_only=True)
    print_setup(sheet, columns=len(EXPORT_COLUMNS))
    sheet.append(EXPORT_COLUMNS)
    for row in rows:
        append_row(sheet, [str(value) for value in row])
    return workbook_bytes(workbook)


def render(rows, file_format: str) -> bytes:
    if file_format == "csv":
        return rows_as_csv(rows)
    if file_format == "xlsx":
        return rows_as_xlsx(rows)
    raise ValidationError({"format": "导出格式只能是 csv 或 xlsx。"})


def export_units(*, actor, unit: Unit, file_format: str) -> bytes:
    """The file for ``unit``'s subtree in ``file_format`` (csv or xlsx)."""
    if file_format not in FORMATS:
        raise ValidationError({"format": "导出格式只能是 csv 或 xlsx。"})
    return render(subtree_rows(actor, unit), file_format)


def export_file_name(unit: Unit, file_format: str) -> str:
    return f"units-{unit.code}.{file_format}"


def template_file(file_format: str) -> bytes:
    """An import template: the header and a few example rows."""
    return render(EXAMPLE_ROWS, file_format)
