"""Reads of indicator sets and scores: the scoped list, the units a set assesses, and the
scoring grid (units × items) with automatic items computed and totals summed.

A page of the grid costs a fixed number of queries whatever its size: items, scores,
adjustment sums, and the two aggregates of :mod:`sources`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest, Least

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
from shuzhi.assessment.indicators.scoring import ZERO
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
    """The units the set assesses: active units of its type below its host — with the fields
    a grid shows or links by (a grid of thousands of units spends its time building them)."""
    units = (
        Unit.objects.active()
        .only("id", "code", "name", "type_id", "parent_id", "path", "depth", "status")
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


class _ItemScores:
    """The cells of every row of one grid, read in one query the first time any row's cells
    are asked for: totals come summed from SQL, so a grid read only for its totals (the whole
    set, thousands of units) never turns tens of thousands of scores into Python objects."""

    def __init__(self, scores: QuerySet[ItemScore], items: list[IndicatorItem], automatic: dict):
        self.query, self.items, self.automatic = scores, items, automatic
        self.by_unit: dict[int, dict[int, tuple]] = {}
        self.submitted: set[int] = set()
        self.read = False

    def _read(self) -> None:
        for unit, item, host, own, note, comment, submitted_at in self.query.values_list(
            "annual__unit_id",
            "item_id",
            "host_points",
            "self_points",
            "self_note",
            "host_comment",
            "annual__self_submitted_at",
        ):
            self.by_unit.setdefault(unit, {})[item] = (host, own, note, comment)
            if submitted_at:
                self.submitted.add(unit)
        self.read = True

    def cells_of(self, unit_id: int) -> list[Cell]:
        if not self.read:
            self._read()
        found = self.by_unit.get(unit_id, {})
        computed = self.automatic.get(unit_id, {})
        cells = []
        for item in self.items:
            if item.is_automatic:
                cells.append(Cell(item=item, points=computed.get(item.pk), automatic=True))
            else:
                host, own, note, comment = found.get(item.pk) or (None, None, "", "")
                cells.append(
                    Cell(
                        item=item,
                        points=host,
                        self_points=own,
                        self_note=note,
                        host_comment=comment,
                    )
                )
        return cells

    def submitted_by(self, unit_id: int) -> bool:
        if not self.read:
            self._read()
        return unit_id in self.submitted


@dataclass
class Row:
    """One unit of the grid: its total (from SQL), and — read together for all rows when
    first used — its cells, self-score total and whether the self score was submitted."""

    unit: Unit
    bonus: Decimal = Decimal("0")
    deduction: Decimal = Decimal("0")
    pending: int = 0
    total: Decimal = Decimal("0")
    scores: _ItemScores | None = field(default=None, repr=False)
    _cells: list[Cell] | None = field(default=None, repr=False)

    @property
    def cells(self) -> list[Cell]:
        """One cell per item, in the grid's item order."""
        if self._cells is None:
            self._cells = self.scores.cells_of(self.unit.pk) if self.scores else []
        return self._cells

    @property
    def self_total(self) -> Decimal:
        """The self score: self points of manual items, computed points of automatic ones."""
        return scoring.annual_total(
            [(c.points if c.automatic else c.self_points, c.item.max_points) for c in self.cells]
        )

    @property
    def self_submitted(self) -> bool:
        return self.scores.submitted_by(self.unit.pk) if self.scores else False


# Above this many units a grid filters by its set (and the facts by the host's subtree)
# instead of sending every unit id in an ``IN`` list: the list costs more to build and plan
# than the rows of the few units left out, which are simply not read back.
WIDE_GRID = 200


# The host's points of one item clamped to [0, the item's maximum] (:func:`scoring.clamp`),
# so a unit's points are summed where the rows are.
CLAMPED_POINTS = Sum(
    Least(Greatest(F("host_points"), Value(ZERO)), F("item__max_points")),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)


def grid(
    indicator_set: IndicatorSet, units: list[Unit], items: list[IndicatorItem] | None = None
) -> list[Row]:
    """The scoring grid for ``units``: one row per unit, with totals summed in SQL and the
    cells (one per item, with the self scores) read in one more query when first used.

    Fixed queries whatever the number of units: the summed points, the adjustment sums, the
    two aggregates of :mod:`sources` when the set has automatic items, and the cells."""
    if items is None:
        items = items_of(indicator_set)
    unit_ids = [u.pk for u in units]
    wide = len(unit_ids) > WIDE_GRID
    scores = ItemScore.objects.filter(annual__set=indicator_set)
    adjustments = Adjustment.objects.filter(annual__set=indicator_set)
    if not wide:
        scores = scores.filter(annual__unit_id__in=unit_ids)
        adjustments = adjustments.filter(annual__unit_id__in=unit_ids)
    manual = [item.pk for item in items if not item.is_automatic]
    summed = dict(
        scores.filter(item_id__in=manual, host_points__isnull=False)
        .order_by()
        .values_list("annual__unit_id")
        .annotate(points=CLAMPED_POINTS)
    )
    sums: dict[int, dict] = {}
    for adj in (
        adjustments.order_by()
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
        sums[adj["annual__unit_id"]] = adj
    automatic_items = [item for item in items if item.is_automatic]
    facts = (
        sources.unit_facts(
            unit_ids, indicator_set.year, within=indicator_set.host.path if wide else None
        )
        if automatic_items
        else {}
    )
    cap_text = (indicator_set.limits.get("policy") or {}).get("scoring", {}).get("bonus_cap")
    if cap_text is None:
        cap_text = effective_policy(indicator_set.host)["scoring"].get("bonus_cap")
    bonus_cap = Decimal(str(cap_text)) if cap_text not in (None, "") else None
    computed: dict[int, dict[int, Decimal | None]] = {}
    # Most units share a handful of fact combinations (no problems, all closed…), and
    # ``unit_facts`` answers one object per combination: each item's rule runs once per
    # combination (keyed by the object's identity), not once per unit.
    rule: dict[tuple[int, int], Decimal | None] = {}
    loader = _ItemScores(scores.filter(item_id__in=manual), items, computed)
    rows = []
    for unit, unit_id in zip(units, unit_ids, strict=True):
        automatic = ZERO
        if automatic_items:
            unit_facts = facts[unit_id]
            points = computed[unit_id] = {}
            for item in automatic_items:
                key = (item.pk, id(unit_facts))
                if key not in rule:
                    rule[key] = sources.automatic_points(item, unit_facts)
                points[item.pk] = rule[key]
            automatic = sum((p for p in points.values() if p is not None), ZERO)
        adj = sums.get(unit_id, {})
        row = Row(
            unit=unit,
            bonus=adj.get("bonus") or ZERO,
            deduction=adj.get("deduction") or ZERO,
            pending=adj.get("pending") or 0,
            scores=loader,
        )
        row.total = scoring.total_of(
            summed.get(unit_id, ZERO) + automatic,
            bonus=row.bonus,
            deduction=row.deduction,
            bonus_cap=bonus_cap,
        )
        rows.append(row)
    return rows
