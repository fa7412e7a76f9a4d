"""Read CSV and XLSX files into rows of text, the way organisation departments write them.

Excel on Chinese Windows saves CSV as GBK ("ANSI") and "Unicode 文本" as tab-separated UTF-16
with a BOM; others save UTF-8 with or without a BOM. The reader takes UTF-16 by its BOM, then
tries UTF-8 and falls back to GB18030 (a superset of GBK); a file that is none of them is
reported, not guessed. An ANSI save has already turned rare characters into "?": such names
are refused row by row unless the user confirms them (:func:`lost_characters`).
Every row keeps its number as the user sees it in Excel (the header is
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
    """Read a file by its extension (.csv, .txt — Excel's "Unicode 文本" — or .xlsx), within
    the import limits (:mod:`shuzhi.core.bulk.sheets`)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt"):
        data = stream.read()
        _text, encoding = decode(data)
        return _table(read_sheet(name, io.BytesIO(data)), encoding)
    return _table(read_sheet(name, stream), "xlsx")


# What an ANSI (GBK) save leaves where a character had no code: "?"; U+FFFD where a decoder
# met bytes it could not read.
_LOST = ("?", "\ufffd")
ACCEPT_LABEL = "确认名称中的问号无误"


def lost_characters(text: str) -> bool:
    """Whether a name probably lost characters when the file was saved as ANSI."""
    return any(mark in text for mark in _LOST)


def lost_message(text: str) -> str:
    """The row error for such a name: why, how to save the file, and how to import it anyway."""
    return (
        f"“{text}”中含有“?”或无法识别的字符，疑似文件另存为 ANSI（GBK）编码时丢失了生僻字。"
        "请用 Excel 另存为 .xlsx、“CSV UTF-8”或 GB18030 编码后重新上传；"
        f"如名称确实如此，请勾选“{ACCEPT_LABEL}”后重新导入。"
    )


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
