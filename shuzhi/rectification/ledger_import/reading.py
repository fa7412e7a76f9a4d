"""Reading a ledger file into columns (a title row above the header is skipped)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from shuzhi.core.bulk.sheets import Sheet, TabularError, read_sheet

from .common import (
    _HEADER_NOISE,
    _KEY_OF_HEADER,
)


@dataclass
class LedgerRows:
    """The file's rows as columns (field key → cell texts); ``numbers`` as Excel shows them."""

    numbers: list[int]
    columns: dict[str, list[str]]
    header: list[str]
    ignored: list[str] = field(default_factory=list)  # headers that name no known column

    def __len__(self) -> int:
        return len(self.numbers)

    def column(self, key: str) -> list[str]:
        return self.columns.get(key) or [""] * len(self.numbers)


def _header_key(cell: object) -> str:
    return _HEADER_NOISE.sub("", str(cell or "")).lstrip("\ufeff")


def _find_header(records: Sequence[Sequence[object]]) -> int:
    """The index of the header row among the first few (a title row may come first)."""
    for index, record in enumerate(records[:5]):
        keys = {_KEY_OF_HEADER.get(_header_key(cell)) for cell in record}
        if "description" in keys:
            return index
    raise TabularError(
        "找不到表头：第一行（或标题行之后的一行）应为列名，且包含“问题描述”列。"
        "请下载导入模板对照填写。"
    )


def _to_columns(sheet: Sheet) -> LedgerRows:
    """Turn the sheet's rows into stripped columns, skipping blank lines."""
    header = [_header_key(cell) for cell in sheet.header]
    numbers: list[int] = []
    body: list[list[str]] = []
    for number, record in sheet.numbered():
        cells = [_cell(value) for value in record]
        if "".join(cells).strip():
            numbers.append(number)
            body.append(cells)
    # One tuple per column (as the unit import reads its files): no per-cell Python loop.
    transposed = list(zip(*body, strict=True)) if body else [() for _ in header]
    columns: dict[str, list[str]] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        key = _KEY_OF_HEADER.get(name)
        if key is None:
            if name:
                ignored.append(name)
            continue
        if key in columns:
            raise TabularError(f"列“{name}”出现了两次，请删除重复的列。")
        columns[key] = list(map(str.strip, transposed[position]))
    if "unit_code" not in columns and "unit_name" not in columns:
        raise TabularError("缺少“组织代码”列（或“单位名称”列）：请按导入模板填写。")
    if "source" not in columns:
        raise TabularError("缺少“问题来源”列：请按导入模板填写。")
    return LedgerRows(numbers=numbers, columns=columns, header=header, ignored=ignored)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 440100 as 440100.0
    return str(value)


def read_ledger(name: str, stream: BinaryIO) -> LedgerRows:
    """Read a ledger file (.csv in UTF-8 or GBK, or .xlsx) into columns, within the import
    limits (:mod:`shuzhi.core.bulk.sheets`)."""
    return _to_columns(read_sheet(name, stream, find_header=_find_header))
