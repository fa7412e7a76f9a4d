"""Read CSV and XLSX files into rows of text, the way organisation departments write them.

Excel on Chinese Windows saves CSV as GBK; others save UTF-8 with or without a BOM. The reader
tries UTF-8 first and falls back to GB18030 (a superset of GBK); a file that is neither is
reported, not guessed. Every row keeps its number as the user sees it in Excel (the header is
row 1), so error reports point at the right line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# One row error for every import: the runner's (re-exported for the readers here).
from shuzhi.core.bulk.jobs import RowError as RowError

# The bounded reader every import shares, and its error (re-exported for the importers here).
from shuzhi.core.bulk.sheets import Sheet, decode, read_sheet
from shuzhi.core.bulk.sheets import TabularError as TabularError
from shuzhi.exports.sheets import csv_bytes


@dataclass
class Table:
    """The header (lower-cased, stripped) and the data rows, each with its Excel row number."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str


def _normalise_header(cells: Sequence[object]) -> list[str]:
    return [str(c or "").strip().lower().lstrip("\ufeff") for c in cells]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 440100 as 440100.0
    return str(value).strip()


def _table(sheet: Sheet, encoding: str) -> Table:
    header = _normalise_header(sheet.header)
    rows = []
    for number, record in sheet.numbered():
        cells = [_cell(v) for v in record]
        if not any(cells):
            continue  # blank lines are not errors
        row = dict(zip(header, cells, strict=True))
        if number - sheet.header_number - 1 in sheet.extra:
            row["__extra__"] = "1"
        rows.append((number, row))
    return Table(header, rows, encoding)


def read_csv(data: bytes) -> Table:
    return read_table("upload.csv", io.BytesIO(data))


def read_xlsx(stream: BinaryIO) -> Table:
    return read_table("upload.xlsx", stream)


def read_table(name: str, stream: BinaryIO) -> Table:
    """Read a file by its extension (.csv or .xlsx), within the import limits
    (:mod:`shuzhi.core.bulk.sheets`)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        data = stream.read()
        _text, encoding = decode(data)
        return _table(read_sheet(name, io.BytesIO(data)), encoding)
    return _table(read_sheet(name, stream), "xlsx")


def require_columns(table: Table, required: list[str]) -> None:
    """Raise when a required column is missing from the header."""
    missing = [c for c in required if c not in table.header]
    if missing:
        raise TabularError(
            f"缺少必需的列：{', '.join(missing)}。第一行应为列名：{','.join(required)}。"
        )


def errors_as_csv(errors: list[RowError]) -> bytes:
    """An error report people open in Excel: UTF-8 with BOM so Chinese shows correctly."""
    return csv_bytes(["行号", "列", "问题"], [[e.row, e.column, e.message] for e in errors])
