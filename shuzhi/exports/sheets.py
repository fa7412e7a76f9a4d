"""How spreadsheets and CSV files are written: the bytes, the header row, the column widths.

A domain app decides the rows; these helpers write them the one way the product does:

- CSV is UTF-8 with a byte-order mark, so Excel on Chinese Windows shows the text instead of
  mojibake, and every value passes :func:`shuzhi.exports.cells.safe_cell`;
- a workbook starts with one named sheet (:func:`new_workbook`), its header row is bold
  (:func:`bold_row`), its columns get widths in characters (:func:`column_widths`), and it is
  saved to bytes with :func:`workbook_bytes`. Rows still go in through
  :func:`shuzhi.exports.cells.append_row`;
- every sheet a person may print gets the same print setup (:func:`print_setup`): A4, landscape
  when it is wider than :data:`WIDE_COLUMNS` columns, its header rows repeated on every page,
  fitted to the page width, and "第 1 页，共 3 页" in the footer.

Example::

    workbook, sheet = new_workbook("考核等次")
    append_row(sheet, ["单位", "等次"])
    bold_row(sheet[1])
    column_widths(sheet, [24, 10])
    print_setup(sheet)
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
# A sheet wider than this many columns prints on landscape A4.
WIDE_COLUMNS = 8
# Excel's footer codes: &P the page, &N the number of pages.
PAGE_FOOTER = "第 &P 页，共 &N 页"


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


def print_setup(
    sheet: Any,
    *,
    title_rows: str | None = "1:1",
    columns: int | None = None,
    landscape: bool | None = None,
    fit_width: bool = True,
    title_columns: str | None = None,
) -> None:
    """Make ``sheet`` print as people file it: A4, landscape when wider than
    :data:`WIDE_COLUMNS` columns (or as ``landscape`` says), the header rows ``title_rows``
    (``"3:3"``) repeated on every page, fitted to one page wide (as many pages down as needed),
    centred, page numbers in the footer.

    ``columns`` is the sheet's width; a write-only sheet, which cannot be measured, must give
    it and be set up before its first row. A sheet too wide to read on one page
    (``fit_width=False``) repeats ``title_columns`` (``"A:A"``) on every page instead.
    """
    from openpyxl.worksheet.worksheet import Worksheet

    width = columns if columns is not None else sheet.max_column
    wide = width > WIDE_COLUMNS if landscape is None else landscape
    setup = sheet.page_setup
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.orientation = "landscape" if wide else "portrait"
    if fit_width:
        setup.fitToWidth = 1
        setup.fitToHeight = 0  # as many pages down as the rows need
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        sheet.print_title_rows = title_rows
    if title_columns:
        sheet.print_title_cols = title_columns
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = PAGE_FOOTER
