"""Pure scoring rules: points of automatic items and a unit's annual total.

No database here — :mod:`sources` gathers the facts in SQL and these functions turn them into
points, so the rules are tested with hypothesis on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def q(value: Decimal) -> Decimal:
    """Round to two places the way score sheets do (half up)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class UnitFacts:
    """What Shuzhi already knows about a unit for one year.

    ``problems``/``closed``: rectification items of the year and those verified closed;
    ``overdue``: items past their deadline still being worked on (derived, today);
    ``report_due``: whether a report deadline applied; ``report_on_time``: submitted by it.
    """

    problems: int = 0
    closed: int = 0
    overdue: int = 0
    report_due: bool = False
    report_on_time: bool = False


def source_points(
    source: str, max_points: Decimal, facts: UnitFacts, params: dict | None = None
) -> Decimal | None:
    """Points of an automatic item, between 0 and ``max_points``; ``None`` when the data says
    nothing (no report deadline set), so the item is left out rather than counted as zero.

    - ``rect_rate``: ``max × closed / problems`` (a unit with no problems gets full points);
    - ``rect_overdue``: ``max − per_item × overdue`` (``per_item`` defaults to 1 point);
    - ``report_on_time``: full points when submitted by the deadline, else 0.
    """
    params = params or {}
    if source == "rect_rate":
        if facts.problems <= 0:
            return q(max_points)
        closed = min(max(facts.closed, 0), facts.problems)
        return q(max_points * Decimal(closed) / Decimal(facts.problems))
    if source == "rect_overdue":
        per_item = Decimal(str(params.get("per_item", "1")))
        return q(max(ZERO, max_points - per_item * max(facts.overdue, 0)))
    if source == "report_on_time":
        if not facts.report_due:
            return None
        return q(max_points) if facts.report_on_time else ZERO
    raise ValueError(f"Unknown source {source!r}")


def clamp(points: Decimal, max_points: Decimal) -> Decimal:
    return min(max(points, ZERO), max_points)


def annual_total(
    item_points: Iterable[tuple[Decimal | None, Decimal]],
    *,
    bonus: Decimal = ZERO,
    deduction: Decimal = ZERO,
    bonus_cap: Decimal | None = None,
) -> Decimal:
    """A unit's annual score: the items' points (each clamped to its maximum; unscored items
    skipped), plus approved bonus up to ``bonus_cap``, minus approved deductions, never below 0.
    """
    total = ZERO
    for points, max_points in item_points:
        if points is not None:
            total += clamp(points, max_points)
    return total_of(total, bonus=bonus, deduction=deduction, bonus_cap=bonus_cap)


def total_of(
    points: Decimal,
    *,
    bonus: Decimal = ZERO,
    deduction: Decimal = ZERO,
    bonus_cap: Decimal | None = None,
) -> Decimal:
    """The annual score from the items' points already clamped and summed (in SQL, for a
    grid of thousands of units): :func:`annual_total` without the per-item loop."""
    if bonus_cap is not None:
        bonus = min(bonus, bonus_cap)
    return q(max(ZERO, points + max(bonus, ZERO) - max(deduction, ZERO)))
