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
