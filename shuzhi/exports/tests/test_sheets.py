"""Spreadsheets and CSV files written the one way, read back from the real bytes."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from shuzhi.exports.cells import append_row
from shuzhi.exports.sheets import (
    bold_row,
    column_widths,
    csv_bytes,
    new_workbook,
    print_setup,
    workbook_bytes,
)


def test_csv_has_a_bom_crlf_lines_and_neutralised_cells():
    data = csv_bytes(["名称", "备注"], [["党委", "=1+1"], ["支部", "整改\x17完成"]])
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["名称", "备注"],
        ["党委", "'=1+1"],
        ["支部", "整改完成"],
    ]


def test_a_workbook_with_a_bold_header_and_widths():
    workbook, sheet = new_workbook("一个超过三十一个字符的工作表名称" * 3)
    append_row(sheet, ["单位", "等次"])
    append_row(sheet, ["广州市委", "@SUM(A1)"])
    bold_row(sheet[1], centred=True)
    column_widths(sheet, [24, 10])
    column_widths(sheet, {"C": 60})
    book = load_workbook(io.BytesIO(workbook_bytes(workbook)))
    read = book.worksheets[0]
    assert len(read.title) == 31
    assert [c.font.b for c in read[1]] == [True, True]
    assert read["A1"].alignment.horizontal == "center"
    assert not read["A2"].font.b
    assert read["B2"].value == "'@SUM(A1)" and read["B2"].data_type == "s"
    assert [read.column_dimensions[c].width for c in "ABC"] == [24, 10, 60]


def test_a_write_only_workbook_streams_rows():
    workbook, sheet = new_workbook("组织", write_only=True)
    column_widths(sheet, [12])
    append_row(sheet, ["440000", "=cmd"])
    read = load_workbook(io.BytesIO(workbook_bytes(workbook)))["组织"]
    assert [c.value for c in read[1]] == ["440000", "'=cmd"]
    assert read.column_dimensions["A"].width == 12


def assert_prints(sheet, *, landscape: bool, title_rows: str = "$1:$1") -> None:
    """``sheet`` (read back by openpyxl) prints on A4, fitted to the width, header repeated,
    page numbers in the footer."""
    setup = sheet.page_setup
    assert int(setup.paperSize) == 9  # A4
    assert setup.orientation == ("landscape" if landscape else "portrait")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
    assert sheet.print_title_rows == title_rows
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_print_setup_landscape_only_when_wide():
    workbook, narrow = new_workbook("窄表")
    append_row(narrow, [f"列{i}" for i in range(8)])
    print_setup(narrow)
    wide = workbook.create_sheet("宽表")
    append_row(wide, ["标题"])
    append_row(wide, [f"列{i}" for i in range(9)])
    print_setup(wide, title_rows="2:2")
    book = load_workbook(io.BytesIO(workbook_bytes(workbook)))
    assert_prints(book["窄表"], landscape=False)
    assert_prints(book["宽表"], landscape=True, title_rows="$2:$2")
    assert book["宽表"].print_options.horizontalCentered


def test_print_setup_of_a_write_only_sheet_and_a_very_wide_one():
    workbook, sheet = new_workbook("组织", write_only=True)
    print_setup(sheet, columns=12)
    append_row(sheet, [f"列{i}" for i in range(12)])
    raw = workbook.create_sheet("原始")
    print_setup(raw, columns=40, fit_width=False, title_columns="A:A")
    append_row(raw, [f"列{i}" for i in range(40)])
    book = load_workbook(io.BytesIO(workbook_bytes(workbook)))
    assert_prints(book["组织"], landscape=True)
    wide = book["原始"]
    assert wide.page_setup.orientation == "landscape"
    assert not wide.sheet_properties.pageSetUpPr or not wide.sheet_properties.pageSetUpPr.fitToPage
    assert wide.print_title_cols == "$A:$A"
    assert wide.oddFooter.center.text == "第 &P 页，共 &N 页"
