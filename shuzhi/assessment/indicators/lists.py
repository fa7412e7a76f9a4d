"""Reading an indicator list (.xlsx or .csv with 指标名称 and optional 评分标准) for a check.

The header is looked for among the first rows (a title row may come first); the columns are
recognised by their usual names. Used by ``manage.py check_indicators``; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

from shuzhi.core.bulk.sheets import TabularError, read_sheet

NAME_COLUMNS = ("指标名称", "指标", "考核指标", "考核内容", "名称")
STANDARD_COLUMNS = ("评分标准", "计分标准", "考核标准", "评分办法", "评分细则")


def _column(header: Sequence[Any], names: Sequence[str]) -> int | None:
    cells = [str(c or "").strip().lstrip("\ufeff") for c in header]
    for name in names:
        if name in cells:
            return cells.index(name)
    return None


def _find_header(records: list[list[Any]]) -> int:
    for index, record in enumerate(records):
        if _column(record, NAME_COLUMNS) is not None:
            return index
    raise TabularError("没有找到“指标名称”列：表头应包含“指标名称”，可选“评分标准”。")


def read_indicator_list(name: str, stream: BinaryIO) -> list[tuple[int, str, str]]:
    """``(row number, name, scoring standard)`` of every non-blank row."""
    sheet = read_sheet(name, stream, find_header=_find_header)
    name_at = _column(sheet.header, NAME_COLUMNS)
    standard_at = _column(sheet.header, STANDARD_COLUMNS)
    assert name_at is not None
    rows = []
    for number, record in sheet.numbered():
        item = str(record[name_at] or "").strip()
        standard = str(record[standard_at] or "").strip() if standard_at is not None else ""
        if item:
            rows.append((number, item, standard))
    return rows
