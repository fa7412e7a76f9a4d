"""Reading a ledger file into columns: the header found (title rows skipped, a two-row header
joined), each column fed to the field the user confirmed — or the synonyms suggest."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from shuzhi.core.bulk.sheets import Sheet, TabularError, read_sheet

from . import layout

# Sample values shown per column in the preview.
SAMPLES = 3


@dataclass
class LedgerRows:
    """The file's rows as columns (field key → cell texts); ``numbers`` as Excel shows them.

    ``layout`` lists every column of the file with the field it feeds ("" for 不使用), so the
    preview and the import's notices can name each one.
    """

    numbers: list[int]
    columns: dict[str, list[str]]
    header: list[str]
    layout: list[layout.Column] = field(default_factory=list)
    header_number: int = 1

    def __len__(self) -> int:
        return len(self.numbers)

    def column(self, key: str) -> list[str]:
        return self.columns.get(key) or [""] * len(self.numbers)

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.layout]

    @property
    def ignored(self) -> list[str]:
        """The titles of the columns that feed no field."""
        return [column.title for column in self.layout if not column.key and column.title]


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


def _to_columns(sheet: Sheet, keys: Sequence[str] | None) -> LedgerRows:
    """Turn the sheet's rows into stripped columns, skipping blank lines."""
    header = [layout.normalise(cell) for cell in sheet.header]
    numbers: list[int] = []
    body: list[list[str]] = []
    for number, record in sheet.numbered():
        cells = [_cell(value) for value in record]
        if "".join(cells).strip():
            numbers.append(number)
            body.append(cells)
    # One tuple per column (as the unit import reads its files): no per-cell Python loop.
    transposed = list(zip(*body, strict=True)) if body else [() for _ in header]
    chosen = list(keys) if keys is not None and len(keys) == len(header) else None
    if chosen is None:
        chosen = layout.auto_keys(header)
    columns: dict[str, list[str]] = {}
    described: list[layout.Column] = []
    for position, title in enumerate(header):
        values = list(map(str.strip, transposed[position]))
        key = chosen[position]
        if key and key not in layout.synonyms():
            key = ""
        if key and key in columns:
            raise TabularError(layout.duplicate_message(chosen, header))
        if key:
            columns[key] = values
        samples = [value for value in values[:50] if value][:SAMPLES]
        described.append(layout.Column(position, title or f"第{position + 1}列", key, samples))
    return LedgerRows(
        numbers=numbers,
        columns=columns,
        header=header,
        layout=described,
        header_number=sheet.header_number,
    )


def read_ledger(name: str, stream: BinaryIO, keys: Sequence[str] | None = None) -> LedgerRows:
    """Read a ledger file (.xlsx, or .csv/.txt in UTF-16, UTF-8 or GB18030) into columns,
    within the import limits (:mod:`shuzhi.core.bulk.sheets`). ``keys`` is the confirmed field
    of each column by position; without it (or for a file of another width) the synonyms
    decide. Nothing here refuses a missing field: the preview names it, and the import's
    check refuses it naming the columns not understood."""
    return _to_columns(read_sheet(name, stream, find_header=layout.find_header), keys)
