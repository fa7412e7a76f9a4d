"""Reading an import file into columns."""

from __future__ import annotations

from typing import BinaryIO

from shuzhi.core.bulk.sheets import read_sheet
from shuzhi.orgs.imports.tabular import Table, require_columns
from shuzhi.orgs.imports.units.common import REQUIRED_COLUMNS, UnitRows

# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _columns(header: list[str], records: list[list[str]], numbers: list[int]) -> UnitRows:
    """Turn records (lists of cell text, all as wide as the header) into stripped columns."""
    require_columns(Table(header, [], ""), REQUIRED_COLUMNS)
    columns = list(zip(*records, strict=True)) if records else [() for _ in header]

    def column(name: str) -> list[str]:
        if name not in header:
            return [""] * len(records)
        return [cell.strip() for cell in columns[header.index(name)]]

    return UnitRows(
        numbers=numbers,
        codes=column("code"),
        names=column("name"),
        parent_codes=column("parent_code"),
        types=column("type"),
        shorts=column("short_name"),
    )


def _read(name: str, stream: BinaryIO) -> UnitRows:
    """Read the file (within the import limits) into columns; note rows with text beyond the
    header."""
    sheet = read_sheet(name, stream)
    header = [str(cell or "").strip().lower().lstrip("\ufeff") for cell in sheet.header]
    records: list[list[str]] = []
    numbers: list[int] = []
    extra: list[int] = []
    for number, record in sheet.numbered():
        cells = ["" if v is None else _text(v) for v in record]
        # Blank lines are not errors.
        if not any(cell.strip() for cell in cells):
            continue
        if number - sheet.header_number - 1 in sheet.extra:
            extra.append(len(records))
        records.append(cells)
        numbers.append(number)
    rows = _columns(header, records, numbers)
    rows.extra = extra
    return rows


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 440100 as 440100.0
    return str(value)


def read_units_file(name: str, stream: BinaryIO) -> UnitRows:
    """Read the file by its extension and check the required columns are there."""
    return _read(name, stream)
