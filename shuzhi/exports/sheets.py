"""How spreadsheets and CSV files are written: the bytes, the header row, the column widths.

A domain app decides the rows; these helpers write them the one way the product does:

- CSV is UTF-8 with a byte-order mark, so Excel on Chinese Windows shows the text instead of
  mojibake, and every value passes :func:`shuzhi.exports.cells.safe_cell`;
- a workbook starts with one named sheet (:func:`new_workbook`), its header row is bold
  (:func:`bold_row`), its columns get widths in characters (:func:`column_widths`), and it is
  saved to bytes with :func:`workbook_bytes`. Rows still go in through
  :func:`shuzhi.exports.cells.append_row`.

Example::

    workbook, sheet = new_workbook("考核等次")
    append_row(sheet, ["单位", "等次"])
    bold_row(sheet[1])
    column_widths(sheet, [24, 10])
    data = workbook_bytes(workbook)

openpyxl is imported on first use (tests/test_import_conventions.py): it is the largest import
of the product and a page that never writes a workbook should not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shuzhi.exports.cells import csv_writer

BYTE_ORDER_MARK = "\ufeff"
SHEET_TITLE_MAX = 31  # Excel refuses longer sheet names


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """``header`` then ``rows`` as CSV in UTF-8 with a BOM (CRLF line ends, as Excel writes)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (BYTE_ORDER_MARK + out.getvalue()).encode("utf-8")


def new_workbook(title: str, *, write_only: bool = False) -> tuple[Any, Any]:
    """A workbook and its one sheet named ``title`` (cut to Excel's 31 characters).

    ``write_only`` streams rows to the file instead of keeping them in memory, for exports of
    hundreds of thousands of rows; such a sheet can only be appended to.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=write_only)
    if write_only:
        sheet = workbook.create_sheet(title[:SHEET_TITLE_MAX])
    else:
        sheet = workbook.active
        sheet.title = title[:SHEET_TITLE_MAX]
    return workbook, sheet


def bold_row(
    cells: Iterable[Any], *, centred: bool = False, wrapped: bool = False, size: float | None = None
) -> None:
    """Set ``cells`` (a header row: ``sheet[1]``) in bold; centred or wrapped if asked."""
    from openpyxl.styles import Alignment, Font

    font = Font(bold=True, size=size) if size else Font(bold=True)
    for cell in cells:
        cell.font = font
        if centred or wrapped:
            cell.alignment = Alignment(
                horizontal="center" if centred else None, wrap_text=wrapped or None
            )


def column_widths(sheet: Any, widths: Sequence[float] | Mapping[str, float]) -> None:
    """Column widths in characters: a list from column A on, or ``{"B": 60}`` by letter.

    A write-only sheet takes its widths before its first row.
    """
    from openpyxl.utils import get_column_letter

    pairs = (
        widths.items()
        if isinstance(widths, Mapping)
        else ((get_column_letter(index), width) for index, width in enumerate(widths, start=1))
    )
    for letter, width in pairs:
        sheet.column_dimensions[letter].width = width


def workbook_bytes(workbook: Any) -> bytes:
    """The .xlsx bytes of ``workbook``."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
