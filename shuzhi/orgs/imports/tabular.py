"""Read CSV and XLSX files into rows of text, the way organisation departments write them.

Excel on Chinese Windows saves CSV as GBK; others save UTF-8 with or without a BOM. The reader
tries UTF-8 first and falls back to GB18030 (a superset of GBK); a file that is neither is
reported, not guessed. Every row keeps its number as the user sees it in Excel (the header is
row 1), so error reports point at the right line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# One row error for every import: the runner's (re-exported for the readers here).
from shuzhi.core.bulk.jobs import RowError as RowError
from shuzhi.exports.sheets import csv_bytes


class TabularError(Exception):
    """The file as a whole cannot be read (wrong format, undecodable, no header)."""


@dataclass
class Table:
    """The header (lower-cased, stripped) and the data rows, each with its Excel row number."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or GB18030; raise if neither fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TabularError(
            f"文件编码无法识别（第 {line} 行附近）："
            "请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 Excel 文件。"
        ) from exc


def _normalise_header(cells: Sequence[object]) -> list[str]:
    return [str(c or "").strip().lower().lstrip("\ufeff") for c in cells]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 440100 as 440100.0
    return str(value).strip()


def _rows(header: list[str], records: Iterable[Sequence[object]], first_row: int):
    rows = []
    for number, record in enumerate(records, start=first_row):
        cells = [_cell(v) for v in record]
        if not any(cells):
            continue  # blank lines are not errors
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells, strict=False))
        if len(cells) > len(header) and any(cells[len(header) :]):
            row["__extra__"] = "1"
        rows.append((number, row))
    return rows


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _normalise_header(next(reader))
    except StopIteration:
        raise TabularError("文件是空的。") from None
    return Table(header, _rows(header, reader, 2), encoding)


def read_xlsx(stream: BinaryIO) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TabularError("无法读取该 Excel 文件，请确认它是 .xlsx 格式且未损坏。") from exc
    sheet = workbook.worksheets[0]
    records = sheet.iter_rows(values_only=True)
    try:
        header = _normalise_header(list(next(records)))
    except StopIteration:
        raise TabularError("工作表是空的。") from None
    table = Table(header, _rows(header, (list(r) for r in records), 2), "xlsx")
    workbook.close()
    return table


def read_table(name: str, stream: BinaryIO) -> Table:
    """Read a file by its extension (.csv or .xlsx)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return read_csv(stream.read())
    if suffix == ".xlsx":
        return read_xlsx(stream)
    raise TabularError(f"不支持的文件类型“{suffix or name}”：请上传 .csv 或 .xlsx 文件。")


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
