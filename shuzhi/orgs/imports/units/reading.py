"""Reading an import file into columns."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO

from shuzhi.orgs.imports.tabular import (
    Table,
    TabularError,
    decode,
    read_table,
    read_xlsx,
    require_columns,
)
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


def _read_csv(data: bytes) -> UnitRows:
    text, _encoding = decode(data)  # UTF-8 (with or without BOM) or GBK, as tabular decides
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower().lstrip("\ufeff") for cell in next(reader)]
    except StopIteration:
        raise TabularError("文件是空的。") from None
    except csv.Error as exc:
        raise TabularError(f"CSV 文件格式有误：{exc}") from exc
    try:
        records = list(reader)
    except csv.Error as exc:
        raise TabularError(f"CSV 文件格式有误（第 {reader.line_num} 行附近）：{exc}") from exc
    width = len(header)
    numbers = list(range(2, len(records) + 2))
    extra: list[int] = []
    irregular = [k for k, record in enumerate(records) if len(record) != width]
    if irregular:
        for k in irregular:
            record = records[k]
            if len(record) > width:
                if any(cell.strip() for cell in record[width:]):
                    extra.append(k)
                records[k] = record[:width]
            else:
                records[k] = record + [""] * (width - len(record))
    # Blank lines are not errors (a blank line has no code, so look only at those rows).
    blank = {k for k, record in enumerate(records) if not record[0] or not record[0].strip()}
    blank = {k for k in blank if not any(cell.strip() for cell in records[k])}
    if blank:
        keep = [k for k in range(len(records)) if k not in blank]
        records = [records[k] for k in keep]
        numbers = [numbers[k] for k in keep]
        position = {old: new for new, old in enumerate(keep)}
        extra = [position[k] for k in extra if k in position]
    rows = _columns(header, records, numbers)
    rows.extra = extra
    return rows


def _read_xlsx(stream: BinaryIO) -> UnitRows:
    table = read_xlsx(stream)
    require_columns(table, REQUIRED_COLUMNS)
    header = table.header
    records = [[row.get(name, "") for name in header] for _number, row in table.rows]
    rows = _columns(header, records, [number for number, _row in table.rows])
    rows.extra = [k for k, (_number, row) in enumerate(table.rows) if "__extra__" in row]
    return rows


def read_units_file(name: str, stream: BinaryIO) -> UnitRows:
    """Read the file by its extension and check the required columns are there."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return _read_csv(stream.read())
    if suffix == ".xlsx":
        return _read_xlsx(stream)
    read_table(name, stream)  # raises the reader's own message for other extensions
    raise TabularError(f"不支持的文件类型“{suffix}”。")
