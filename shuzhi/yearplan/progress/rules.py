"""How a cell of the progress matrix is judged — pure functions, tested without a database.

- a numeric target (``number``): done once the value reaches the target; on track when it
  reaches the share of the target due by the checkpoint (the year's elapsed share); behind
  otherwise. A cap (``rect_overdue``: overdue items may not exceed the target) is on track
  while under it and behind above it;
- a date or done/not-done target: the state the unit reported; still not done after the
  target date is behind whatever was reported;
- no report and no automatic value: not started.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from shuzhi.yearplan.keytasks.models import TargetKind, TaskSource

from .models import CellState


def year_share(checkpoint: datetime.date) -> Decimal:
    """The share of the year elapsed at ``checkpoint`` (6/30 → about 0.5)."""
    start = datetime.date(checkpoint.year, 1, 1)
    days = (datetime.date(checkpoint.year, 12, 31) - start).days + 1
    return Decimal((checkpoint - start).days + 1) / Decimal(days)


def judge(
    *,
    target_kind: str,
    source: str,
    target_value: Decimal | None,
    target_date: datetime.date | None,
    checkpoint: datetime.date,
    value: Decimal | None,
    reported: str | None,
) -> str:
    """The cell state for a task at ``checkpoint`` given the value or reported state."""
    if target_kind == TargetKind.NUMBER:
        if value is None or target_value is None:
            return CellState.NOT_STARTED
        if source == TaskSource.RECT_OVERDUE:
            return CellState.ON_TRACK if value <= target_value else CellState.BEHIND
        if value >= target_value:
            return CellState.DONE
        due = target_value * year_share(checkpoint)
        return CellState.ON_TRACK if value >= due else CellState.BEHIND
    if not reported:
        return CellState.NOT_STARTED
    if reported == CellState.DONE:
        return CellState.DONE
    if target_date is not None and checkpoint > target_date:
        return CellState.BEHIND
    return reported
