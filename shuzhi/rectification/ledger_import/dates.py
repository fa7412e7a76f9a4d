"""Dates as ledgers write them, and the deadlines that are no date (长期坚持).

Full dates (2026-10-31, 2026/10/31, 2026.10.31, 2026年10月31日, 20261031, an Excel serial),
a month (2026年10月 — its last day for a deadline, its first for a found date), 底/末, the
deadline words 前/之前/以前 (“2026年10月31日前”, “10月底前”), a month or day without a year
(the ledger's year: “10月底”, “9月30日前”), 年底/年末 and 上半年. “长期坚持”, “持续整改”,
“常态化” are long-term items: no due date.
"""

from __future__ import annotations

import calendar
import datetime
import re

_BEFORE = re.compile(r"(?:之前|以前|前|止)$")
_FULL = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(?:[-/.]?\s*(\d{1,2})\s*[日号]?|(底|末))?"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NO_YEAR = re.compile(r"^(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号]|(底|末))?$")
_YEAR_PART = re.compile(r"^(?:(\d{4})\s*年)?\s*(年底|年末|年内|上半年|年中|下半年)$")
LONG_TERM_WORDS = ("长期", "持续", "常态化", "久久为功")


def is_long_term(text: str) -> bool:
    """Whether a deadline says the work never ends (长期坚持, 持续整改, 常态化推进 …)."""
    return any(word in text for word in LONG_TERM_WORDS)


def _month_day(year: int, month: int, day: str | None, end: bool) -> datetime.date:
    if day:
        return datetime.date(year, month, int(day))
    return datetime.date(year, month, calendar.monthrange(year, month)[1] if end else 1)


def parse_date(text: str, *, end_of_month: bool, year: int | None = None) -> datetime.date | None:
    """A date as ledgers write it; ``year`` fills in a date written without one. ``None``
    when the text is no date."""
    text = _BEFORE.sub("", text.strip()).strip()
    try:
        match = _FULL.match(text)
        if match:
            end = end_of_month or bool(match[4])
            return _month_day(int(match[1]), int(match[2]), match[3], end)
        match = _COMPACT.match(text)
        if match:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        if year is not None:
            match = _NO_YEAR.match(text)
            if match:
                return _month_day(year, int(match[1]), match[2], end_of_month or bool(match[3]))
            match = _YEAR_PART.match(text)
            if match:
                which = int(match[1]) if match[1] else year
                if match[2] in ("上半年", "年中"):
                    return datetime.date(which, 6, 30)
                return datetime.date(which, 12, 31)
        if text.isdigit() and 20000 <= int(text) <= 80000:  # Excel's day count from 1899-12-30
            return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(text))
    except ValueError:
        return None
    return None
