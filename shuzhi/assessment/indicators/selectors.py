"""Reads of indicator sets and scores: the scoped list, the units a set assesses, and the
scoring grid (units × items) with automatic items computed and totals summed.

A page of the grid costs a fixed number of queries whatever its size: items, scores,
adjustment sums, and the two aggregates of :mod:`sources`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from shuzhi.assessment.indicators import scoring, sources
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    IndicatorItem,
    IndicatorSet,
    ItemScore,
)
from shuzhi.assessment.indicators.policies import self_score_units
from shuzhi.assessment.indicators.services import effective_policy
from shuzhi.orgs.tree.models import Unit


def set_list(
    user, *, text: str = "", year: int | None = None, status: str = ""
) -> QuerySet[IndicatorSet]:
    """Sets ``user`` may see, newest first, with host, type, item and error counts."""
    sets = IndicatorSet.objects.visible_to(user).select_related("host", "assessed_type")
    if text:
        sets = sets.filter(
            Q(host__name__icontains=text)
            | Q(host__code__startswith=text)
            | Q(title__icontains=text)
        )
    if year:
        sets = sets.filter(year=year)
    if status:
        sets = sets.filter(status=status)
    return sets.annotate(
        item_count=Count("items", distinct=True),
        error_count=Count("findings", filter=Q(findings__severity="error"), distinct=True),
    ).order_by("-year", "host__path", "id")


def visible_set_or_none(user, pk: int) -> IndicatorSet | None:
    return (
        IndicatorSet.objects.visible_to(user)
        .select_related("host", "assessed_type", "parent_set__host")
        .filter(pk=pk)
        .first()
    )


def set_or_none(pk: int) -> IndicatorSet | None:
    return (
        IndicatorSet.objects.select_related("host", "assessed_type", "parent_set__host")
        .filter(pk=pk)
        .first()
    )


def items_of(indicator_set: IndicatorSet) -> list[IndicatorItem]:
    return list(indicator_set.items.select_related("derived_from").order_by("sort_order", "id"))


def units_of(indicator_set: IndicatorSet, text: str = "") -> QuerySet[Unit]:
    """The units the set assesses: active units of its type below its host."""
    units = (
        Unit.objects.active()
        .filter(path__startswith=indicator_set.host.path, type_id=indicator_set.assessed_type_id)
        .exclude(pk=indicator_set.host_id)
    )
    if text:
        units = units.filter(Q(name__icontains=text) | Q(code__startswith=text))
    return units.order_by("path")


def sets_to_self_score(user) -> list[tuple[Unit, IndicatorSet]]:
    """Published sets assessing a unit where ``user`` holds the self-scoring grant."""
    paths = [path for path, _depth in self_score_units(user)]
    if not paths:
        return []
    units = list(Unit.objects.active().filter(path__in=paths).select_related("type"))
    pairs = []
    sets = IndicatorSet.objects.filter(
        status="published", assessed_type_id__in={u.type_id for u in units}
    ).select_related("host", "assessed_type")
    for indicator_set in sets:
        for unit in units:
            if (
                unit.type_id == indicator_set.assessed_type_id
                and unit.path.startswith(indicator_set.host.path)
                and unit.pk != indicator_set.host_id
            ):
                pairs.append((unit, indicator_set))
    return pairs


@dataclass
class Cell:
    """One unit × item: the host's points (computed for automatic items) and the self score."""

    item: IndicatorItem
    points: Decimal | None = None
    self_points: Decimal | None = None
    automatic: bool = False
    self_note: str = ""
    host_comment: str = ""

    @property
    def text(self) -> str:
        """The points as the grid prints them (plain, so large grids skip number formatting)."""
        return "—" if self.points is None else str(self.points)


@dataclass
class Row:
    unit: Unit
    cells: list[Cell] = field(default_factory=list)
    bonus: Decimal = Decimal("0")
    deduction: Decimal = Decimal("0")
    pending: int = 0
    total: Decimal = Decimal("0")
    self_total: Decimal = Decimal("0")
    self_submitted: bool = False


def grid(
    indicator_set: IndicatorSet, units: list[Unit], items: list[IndicatorItem] | None = None
) -> list[Row]:
    """The scoring grid for ``units``: one row per unit, one cell per item, and totals."""
    if items is None:
        items = items_of(indicator_set)
    unit_ids = [u.pk for u in units]
    # Plain tuples, not model instances: a grid over thousands of units reads tens of
    # thousands of scores, and building a model object per row costs more than the query.
    scores: dict[tuple[int, int], tuple] = {}
    submitted: set[int] = set()
    for unit_id, item_id, host, own, note, comment, submitted_at in ItemScore.objects.filter(
        annual__set=indicator_set, annual__unit_id__in=unit_ids
    ).values_list(
        "annual__unit_id",
        "item_id",
        "host_points",
        "self_points",
        "self_note",
        "host_comment",
        "annual__self_submitted_at",
    ):
        scores[(unit_id, item_id)] = (host, own, note, comment)
        if submitted_at:
            submitted.add(unit_id)
    sums: dict[int, dict] = {}
    for summed in (
        Adjustment.objects.filter(annual__set=indicator_set, annual__unit_id__in=unit_ids)
        .order_by()
        .values("annual__unit_id")
        .annotate(
            bonus=Sum(
                "points",
                filter=Q(status=AdjustmentStatus.APPROVED, kind=AdjustmentKind.BONUS),
            ),
            deduction=Sum(
                "points",
                filter=Q(status=AdjustmentStatus.APPROVED, kind=AdjustmentKind.DEDUCTION),
            ),
            pending=Count("id", filter=Q(status=AdjustmentStatus.PENDING)),
        )
    ):
        sums[summed["annual__unit_id"]] = summed
    needs_facts = any(item.is_automatic for item in items)
    facts = sources.unit_facts(unit_ids, indicator_set.year) if needs_facts else {}
    cap_text = (indicator_set.limits.get("policy") or {}).get("scoring", {}).get("bonus_cap")
    if cap_text is None:
        cap_text = effective_policy(indicator_set.host)["scoring"].get("bonus_cap")
    bonus_cap = Decimal(str(cap_text)) if cap_text not in (None, "") else None
    rows = []
    for unit in units:
        row = Row(unit=unit, self_submitted=unit.pk in submitted)
        for item in items:
            found = scores.get((unit.pk, item.pk))
            if item.is_automatic:
                cell = Cell(
                    item=item, points=sources.automatic_points(item, facts[unit.pk]), automatic=True
                )
            else:
                host, own, note, comment = found or (None, None, "", "")
                cell = Cell(
                    item=item, points=host, self_points=own, self_note=note, host_comment=comment
                )
            row.cells.append(cell)
        adj = sums.get(unit.pk, {})
        row.bonus = adj.get("bonus") or Decimal("0")
        row.deduction = adj.get("deduction") or Decimal("0")
        row.pending = adj.get("pending") or 0
        row.total = scoring.annual_total(
            [(c.points, c.item.max_points) for c in row.cells],
            bonus=row.bonus,
            deduction=row.deduction,
            bonus_cap=bonus_cap,
        )
        row.self_total = scoring.annual_total(
            [(c.points if c.automatic else c.self_points, c.item.max_points) for c in row.cells]
        )
        rows.append(row)
    return rows
