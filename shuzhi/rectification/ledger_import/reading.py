"""Reading a ledger file into columns (a title row above the header is skipped)."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from shuzhi.orgs.imports.tabular import TabularError, decode

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


def _to_columns(records: list[list[str]], first_number: int) -> LedgerRows:
    """Turn records (first the header) into stripped columns, skipping blank lines."""
    top = _find_header(records)
    header = [_header_key(cell) for cell in records[top]]
    body = records[top + 1 :]
    numbers = list(range(first_number + top + 1, first_number + top + 1 + len(body)))
    keep = [k for k, record in enumerate(body) if "".join(record).strip()]
    if len(keep) != len(body):
        body = [body[k] for k in keep]
        numbers = [numbers[k] for k in keep]
    width = len(header)
    if any(len(record) != width for record in body):
        body = [(record + [""] * width)[:width] for record in body]
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
    """Read a ledger file (.csv in UTF-8 or GBK, or .xlsx) into columns."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        text, _encoding = decode(stream.read())
        try:
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise TabularError(f"CSV 文件格式有误：{exc}") from exc
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise TabularError("无法读取该 Excel 文件，请确认它是 .xlsx 格式且未损坏。") from exc
        try:
            sheet = workbook.worksheets[0]
            records = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise TabularError(f"不支持的文件类型“{suffix or name}”：请上传 .csv 或 .xlsx 文件。")
    if not records:
        raise TabularError("文件是空的。")
    return _to_columns(records, 1)
