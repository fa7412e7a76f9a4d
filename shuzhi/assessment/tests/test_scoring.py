"""Pure scoring rules with hypothesis: automatic items stay within [0, max], more closed items
never lower the rectification rate, more overdue items never raise points, unscored items are
skipped, the bonus cap holds, and a total is never negative."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shuzhi.assessment.indicators.scoring import UnitFacts, annual_total, source_points

points = st.decimals(min_value="0.5", max_value="100", places=2, allow_nan=False)
counts = st.integers(min_value=0, max_value=500)


@given(points, counts, counts, counts)
def test_automatic_points_within_bounds(max_points, problems, closed, overdue):
    facts = UnitFacts(problems=problems, closed=min(closed, problems), overdue=overdue)
    for source in ("rect_rate", "rect_overdue"):
        value = source_points(source, max_points, facts)
        assert value is not None and Decimal("0") <= value <= max_points


@given(points, st.integers(min_value=1, max_value=500), counts)
def test_more_closed_never_lowers_the_rate(max_points, problems, closed):
    closed = min(closed, problems - 1)
    lower = source_points("rect_rate", max_points, UnitFacts(problems=problems, closed=closed))
    higher = source_points("rect_rate", max_points, UnitFacts(problems=problems, closed=closed + 1))
    assert higher is not None and lower is not None and higher >= lower


@given(points, counts)
def test_more_overdue_never_raises_points(max_points, overdue):
    a = source_points("rect_overdue", max_points, UnitFacts(overdue=overdue), {"per_item": "0.5"})
    b = source_points(
        "rect_overdue", max_points, UnitFacts(overdue=overdue + 1), {"per_item": "0.5"}
    )
    assert a is not None and b is not None and b <= a


def test_report_on_time_skipped_without_deadline():
    assert source_points("report_on_time", Decimal("5"), UnitFacts()) is None
    on_time = UnitFacts(report_due=True, report_on_time=True)
    assert source_points("report_on_time", Decimal("5"), on_time) == Decimal("5.00")
    assert source_points("report_on_time", Decimal("5"), UnitFacts(report_due=True)) == 0


cells = st.lists(st.tuples(st.one_of(st.none(), points), points), max_size=12)
extra = st.decimals(min_value="0", max_value="50", places=2, allow_nan=False)


@given(cells, extra, extra, extra)
def test_total_rules(item_points, bonus, deduction, cap):
    total = annual_total(item_points, bonus=bonus, deduction=deduction, bonus_cap=cap)
    assert total >= 0
    scored = sum(min(p, m) for p, m in item_points if p is not None)
    assert total <= scored + min(bonus, cap)
    # Unscored items are skipped, not counted as zero or as full points.
    assert annual_total([*item_points, (None, Decimal("10"))]) == annual_total(item_points)
    # A better item score never lowers the total.
    if item_points and item_points[0][0] is not None:
        better = [(item_points[0][0] + 1, item_points[0][1]), *item_points[1:]]
        assert annual_total(better) >= annual_total(item_points)
