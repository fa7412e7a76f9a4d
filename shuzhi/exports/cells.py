"""Values written into exported spreadsheets and CSV files, made safe to open.

Every .xlsx and .csv the product writes passes its cell values through :func:`safe_cell` (or
:func:`safe_row`, :func:`append_row` for a worksheet, :func:`csv_writer` for a CSV file), which
does two things to text:

- **Drops the control characters** a spreadsheet cannot hold (U+0000–U+0008, U+000B, U+000C,
  U+000E–U+001F). openpyxl refuses them with ``IllegalCharacterError``, so one such character
  in a problem description or an opinion would turn a whole export into a server error. Tab,
  line feed and carriage return stay: multi-line notes keep their lines.
- **Neutralises formulas** as OWASP's "CSV injection" guidance describes: text that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so Excel,
  WPS and LibreOffice show it as text instead of running it (``=HYPERLINK(…)`` planted in a
  ledger would otherwise run on the desk of whoever opens the province's export). openpyxl
  would also store such text as a live formula in an .xlsx.

Numbers, dates and ``None`` pass unchanged, so sums and date formats keep working; only text
is touched. For example ``=HYPERLINK("http://x")`` is written as ``'=HYPERLINK("http://x")``,
``整改<U+0017>完成`` as ``整改完成``, and the number ``-3`` as the number ``-3``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise

# What OWASP lists as the first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The characters XML 1.0 (and so .xlsx) cannot carry; the same set openpyxl refuses.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written into a spreadsheet or CSV cell (see the module doc)."""
    if isinstance(value, Promise):  # a lazily translated label
        value = str(value)
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each through :func:`safe_cell`."""
    return [safe_cell(value) for value in values]


def append_row(sheet, values: Iterable[Any]) -> None:
    """``sheet.append(values)`` for an openpyxl worksheet, each value through :func:`safe_cell`."""
    sheet.append(safe_row(values))


class SafeCsvWriter:
    """A ``csv.writer`` whose rows go through :func:`safe_row` first."""

    def __init__(self, out, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


def csv_writer(out, **options: Any) -> SafeCsvWriter:
    """``csv.writer(out, **options)`` for an export: every value is neutralised on the way."""
    return SafeCsvWriter(out, **options)
