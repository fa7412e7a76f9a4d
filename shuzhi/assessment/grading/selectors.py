"""Reads for grading: the components' facts for a whole round in a fixed number of grouped
queries, the grading page's rows, a reporter's own grades, and the 同台比武 ranking.

:func:`gather` never loops queries over reporters: the ballot ratings are grouped per
reporter × category × grade, the annual scores per (set, unit), the adjustments per unit, the
rectification items per unit, the critiques' ratings of the round in one read. The arithmetic
is in :mod:`composite`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Greatest, Least, Rank

from shuzhi.assessment.grading import composite
from shuzhi.assessment.grading.models import GradeRow, Grading, GradingStatus
from shuzhi.assessment.indicators import scoring, sources
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    AnnualScore,
    IndicatorItem,
    IndicatorSet,
    ItemSource,
    SetStatus,
)
from shuzhi.assessment.indicators.services import effective_policy
from shuzhi.ballots.models import OVERALL, BallotEntry, BallotRound, BallotRoundStatus
from shuzhi.ballots.tally import ballots_by_category, rules_of, small_categories
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.kernel.scope import scopes_for
from shuzhi.reports.critiques.models import Critique

ZERO = Decimal("0")


@dataclass
class ReporterFacts:
    """Everything the formula may need about one reporter, with the component values."""

    reporter: RoundReporter
    values: dict[str, composite.Value] = field(default_factory=dict)
    ballots: int = 0


def reporters_of(rnd: Round) -> list[RoundReporter]:
    return list(
        RoundReporter.objects.filter(round=rnd)
        .select_related("unit", "person")
        .only(
            "round_id",
            "sort_order",
            "unit__name",
            "unit__path",
            "unit__depth",
            "unit__type_id",
            "person__name",
        )
        .order_by("sort_order", "id")
    )


def _sets_for(year: int, units: list) -> dict[int, IndicatorSet]:
    """The published set assessing each unit in ``year``: same type, host above the unit, the
    nearest host wins. One query."""
    sets = list(
        IndicatorSet.objects.filter(
            year=year, status=SetStatus.PUBLISHED, assessed_type_id__in={u.type_id for u in units}
        ).select_related("host")
    )
    chosen: dict[int, IndicatorSet] = {}
    for unit in units:
        best = None
        for s in sets:
            if (
                s.assessed_type_id == unit.type_id
                and unit.path.startswith(s.host.path)
                and s.host_id != unit.pk
                and (best is None or s.host.depth > best.host.depth)
            ):
                best = s
        if best is not None:
            chosen[unit.pk] = best
    return chosen


def _bonus_cap(indicator_set: IndicatorSet) -> Decimal | None:
    cap = (indicator_set.limits.get("policy") or {}).get("scoring", {}).get("bonus_cap")
    if cap is None:
        cap = effective_policy(indicator_set.host)["scoring"].get("bonus_cap")
    return Decimal(str(cap)) if cap not in (None, "") else None


def annual_values(
    year: int,
    units: list,
    *,
    with_adjustments: bool,
    facts: dict[int, scoring.UnitFacts],
    unit_ids: Any = None,
) -> tuple[dict[int, composite.Value], dict[int, tuple[Decimal, Decimal]]]:
    """Annual-score values per unit id, and approved (bonus, deduction) per unit id.

    Queries: sets, items, manual sums grouped per (set, unit), adjustment sums grouped per
    (set, unit), plus the bonus-cap policy per set when the set has not recorded it.
    """
    chosen = _sets_for(year, units)
    if not chosen:
        return {}, {}
    set_ids = {s.pk for s in chosen.values()}
    items: dict[int, list[IndicatorItem]] = {}
    for item in IndicatorItem.objects.filter(set_id__in=set_ids):
        items.setdefault(item.set_id, []).append(item)
    # A subquery selecting the units (when the caller has one) instead of thousands of
    # literal ids, which cost more to send and plan than the sums themselves.
    if unit_ids is None:
        unit_ids = list(chosen)
    clamped = Least(Greatest(F("items__host_points"), Value(ZERO)), F("items__item__max_points"))
    manual = {
        (row["set_id"], row["unit_id"]): row["total"] or ZERO
        for row in AnnualScore.objects.filter(set_id__in=set_ids, unit_id__in=unit_ids)
        .order_by()
        .values("set_id", "unit_id")
        .annotate(
            total=Sum(
                clamped,
                filter=Q(items__item__source=ItemSource.MANUAL),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
    }
    adjustments = {
        (row["annual__set_id"], row["annual__unit_id"]): (
            row["bonus"] or ZERO,
            row["deduction"] or ZERO,
        )
        for row in Adjustment.objects.filter(
            annual__set_id__in=set_ids,
            annual__unit_id__in=unit_ids,
            status=AdjustmentStatus.APPROVED,
        )
        .order_by()
        .values("annual__set_id", "annual__unit_id")
        .annotate(
            bonus=Sum("points", filter=Q(kind=AdjustmentKind.BONUS)),
            deduction=Sum("points", filter=Q(kind=AdjustmentKind.DEDUCTION)),
        )
    }
    caps = {s.pk: _bonus_cap(s) for s in {s.pk: s for s in chosen.values()}.values()}
    full_marks = {pk: sum((i.max_points for i in its), ZERO) for pk, its in items.items()}
    automatic_items = {pk: [i for i in its if i.is_automatic] for pk, its in items.items()}
    values: dict[int, composite.Value] = {}
    adj_out: dict[int, tuple[Decimal, Decimal]] = {}
    for unit_id, s in chosen.items():
        key = (s.pk, unit_id)
        full = full_marks.get(s.pk, ZERO)
        if key not in manual:
            continue  # no AnnualScore row: the unit has not been scored (无数据)
        bonus, deduction = adjustments.get(key, (ZERO, ZERO))
        adj_out[unit_id] = (bonus, deduction)
        unit_facts = facts.get(unit_id, scoring.UnitFacts())
        automatic = [
            (sources.automatic_points(i, unit_facts), i.max_points)
            for i in automatic_items.get(s.pk, [])
        ]
        total = scoring.annual_total(
            [(manual[key], full), *automatic],
            bonus=bonus if with_adjustments else ZERO,
            deduction=deduction if with_adjustments else ZERO,
            bonus_cap=caps[s.pk],
        )
        values[unit_id] = composite.annual_value(total, full, s.title)
    return values, adj_out


@dataclass
class BallotData:
    per_category: dict[str, dict[str, int]]
    scale: list[dict]
    weights: dict[str, Fraction]
    min_ballots: int
    label: str
    category_labels: dict[str, str] = field(default_factory=dict)


def ballot_data(rnd: Round) -> dict[int, BallotData]:
    """Per round reporter id, the overall ratings of the last closed formal ballot round that
    rated them, grouped per category × grade. Three queries.

    A voter category that cast fewer ballots than the round's minimum is left out, as the
    tally leaves it out of every figure (``ballots.tally.small_categories``, the one min-floor
    rule): counted here, its few votes could be read off the grade by subtraction."""
    rounds = list(
        BallotRound.objects.filter(
            session__round=rnd,
            is_test=False,
            status__in=(BallotRoundStatus.CLOSED, BallotRoundStatus.PUBLISHED),
        ).select_related("session__round")
    )
    if not rounds:
        return {}
    order = {br.pk: (br.closed_at is not None, br.closed_at, br.pk) for br in rounds}
    by_pk = {br.pk: br for br in rounds}
    grouped: dict[int, dict[int, dict[str, dict[str, int]]]] = {}
    for round_id, reporter_id, category, grade, n in (
        BallotEntry.objects.filter(round_id__in=list(by_pk), item=OVERALL)
        .values_list("round_id", "reporter__reporter_id", "category", "grade")
        .annotate(n=Count("*"))
        .order_by()
    ):
        grouped.setdefault(reporter_id, {}).setdefault(round_id, {}).setdefault(category, {})[
            grade
        ] = n
    rules = {pk: rules_of(br) for pk, br in by_pk.items()}
    ballots_cast = ballots_by_category(list(by_pk))
    small = {pk: small_categories(ballots_cast.get(pk, {}), rules[pk]) for pk in by_pk}
    out = {}
    for reporter_id, per_round in grouped.items():
        latest = max(per_round, key=lambda pk: order[pk])
        r = rules[latest]
        out[reporter_id] = BallotData(
            per_category={
                category: counts
                for category, counts in per_round[latest].items()
                if category not in small[latest]
            },
            scale=r.scale,
            weights=r.weights,
            min_ballots=r.min_ballots,
            label=str(by_pk[latest]),
            category_labels={
                str(c.get("code")): str(c.get("label") or c.get("code"))
                for c in r.categories
                if isinstance(c, dict)
            },
        )
    return out


def critique_ratings(rnd: Round) -> dict[int, list[str]]:
    """Published critiques' ratings per round reporter id. One query."""
    out: dict[int, list[str]] = {}
    for reporter_id, rating in (
        Critique.objects.filter(reporter__round=rnd, published=True)
        .exclude(rating="")
        .order_by("reporter_id", "created_at", "id")
        .values_list("reporter_id", "rating")
    ):
        out.setdefault(reporter_id, []).append(rating)
    return out


def gather(
    rnd: Round, formula: composite.Formula, reporters: list[RoundReporter] | None = None
) -> list[ReporterFacts]:
    """Component values of every reporter of ``rnd`` for the components of ``formula``.

    Only the components in use are read. Whatever the number of reporters, the queries are:
    reporters, ballot rounds + grouped ratings, critiques, rectification facts (grouped per
    unit), and the annual-score reads of :func:`annual_values`.
    """
    if reporters is None:
        reporters = reporters_of(rnd)
    codes = set(formula.codes)
    units = [r.unit for r in reporters]
    unit_ids = [u.pk for u in units]
    scale = rnd.scale
    ballots = ballot_data(rnd) if ("ballot_score" in codes or formula.min_ballots) else {}
    critiques = critique_ratings(rnd) if "critique_rating" in codes else {}
    needs_facts = bool(codes & {"rectification", "annual_score"})
    facts = sources.unit_facts(unit_ids, rnd.year) if needs_facts else {}
    annual: dict[int, composite.Value] = {}
    adjustments: dict[int, tuple[Decimal, Decimal]] = {}
    if codes & {"annual_score", "adjustments"}:
        component = formula.component("annual_score")
        annual, adjustments = annual_values(
            rnd.year,
            units,
            with_adjustments=component is not None and component.method == "with_adjustments",
            facts=facts,
            unit_ids=RoundReporter.objects.filter(round=rnd).values("unit_id"),
        )
    out = []
    for reporter in reporters:
        f = ReporterFacts(reporter=reporter)
        data = ballots.get(reporter.pk)
        if data is not None:
            f.ballots = sum(
                n for counts in data.per_category.values() for g, n in counts.items() if g
            )
        for c in formula.components:
            if c.code == "annual_score":
                f.values[c.code] = annual.get(
                    reporter.unit_id, composite.Value(None, "没有该单位本年度的考核得分")
                )
            elif c.code == "ballot_score":
                if data is None:
                    f.values[c.code] = composite.Value(None, "没有已结束的正式投票")
                else:
                    v = composite.ballot_value(
                        c.method,
                        data.per_category,
                        data.scale,
                        data.weights,
                        data.min_ballots,
                        category_labels=data.category_labels,
                    )
                    f.values[c.code] = composite.Value(
                        v.value, f"{data.label}：{v.derivation}", v.raw
                    )
            elif c.code == "critique_rating":
                f.values[c.code] = composite.critique_value(critiques.get(reporter.pk, []), scale)
            elif c.code == "rectification":
                uf = facts.get(reporter.unit_id, scoring.UnitFacts())
                penalty = Decimal(str(c.params.get("penalty", composite.DEFAULT_PENALTY)))
                f.values[c.code] = composite.rectification_value(
                    uf.problems, uf.closed, uf.overdue, penalty
                )
            elif c.code == "adjustments":
                if reporter.unit_id not in adjustments:
                    f.values[c.code] = composite.Value(None, "没有该单位本年度的考核得分")
                else:
                    span = Decimal(str(c.params.get("span", composite.DEFAULT_SPAN)))
                    bonus, deduction = adjustments[reporter.unit_id]
                    f.values[c.code] = composite.adjustments_value(bonus, deduction, span)
        out.append(f)
    return out


# ---------------------------------------------------------------------------------------------
# Pages.
# ---------------------------------------------------------------------------------------------


def grading_of(rnd: Round) -> Grading | None:
    return Grading.objects.filter(round=rnd).first()


def rows_of(grading: Grading, *, text: str = "", grade: str = "") -> QuerySet[GradeRow]:
    """The current rows, best rank first, with reporter unit and person."""
    rows = (
        GradeRow.objects.filter(grading=grading, is_current=True)
        .select_related("reporter__unit", "reporter__person")
        .order_by(F("rank").asc(nulls_last=True), "reporter__sort_order", "id")
    )
    if text:
        rows = rows.filter(
            Q(reporter__unit__name__icontains=text) | Q(reporter__person__name__icontains=text)
        )
    if grade:
        rows = rows.filter(final=grade)
    return rows


def own_rows(user) -> QuerySet[GradeRow]:
    """Current confirmed rows of the reporters ``user`` reports for: the reporting person's
    account, or a secretary grant exactly on the reporting unit."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return GradeRow.objects.none()
    condition = Q(pk__in=[])
    paths = [s.path for s in scopes_for(user, "report.write")]
    if paths:
        condition |= Q(reporter__unit__path__in=paths)
    if getattr(user, "person_id", None):
        condition |= Q(reporter__person_id=user.person_id)
    return (
        GradeRow.objects.filter(condition, is_current=True, grading__status=GradingStatus.CONFIRMED)
        .select_related("grading__round__host", "reporter__unit", "reporter__person")
        .order_by("-grading__round__year", "id")
    )


RANK_ORDERS = {"composite", "grade", *composite.COMPONENTS}


def component_value(code: str) -> Cast:
    """A component's value as a number, for ordering by it in SQL."""
    return Cast(
        KeyTextTransform("value", KeyTextTransform(code, "components")),
        DecimalField(max_digits=7, decimal_places=2),
    )


def ranking(
    *,
    scope: Q,
    year: int | None = None,
    round_id: int | None = None,
    session_id: int | None = None,
    subtree_path: str = "",
    order: str = "composite",
    grade_order: dict[str, int] | None = None,
) -> QuerySet[GradeRow]:
    """Confirmed current rows in ``scope`` (a filter on the grading's round host), filtered by
    year / round / meeting session / subtree, with their position by composite (competition
    rank within what is shown) and ordered by ``order``."""
    rows = GradeRow.objects.filter(scope, is_current=True, grading__status=GradingStatus.CONFIRMED)
    if year:
        rows = rows.filter(grading__round__year=year)
    if round_id:
        rows = rows.filter(grading__round_id=round_id)
    if session_id:  # the reporters heard together at one meeting (同台)
        rows = rows.filter(reporter__session_entries__session_id=session_id)
    if subtree_path:
        rows = rows.filter(reporter__unit__path__startswith=subtree_path)
    rows = rows.select_related("reporter__unit", "reporter__person", "grading__round").annotate(
        position=Window(Rank(), order_by=F("composite").desc(nulls_last=True)),
    )
    if order in composite.COMPONENTS:
        return rows.annotate(sort_value=component_value(order)).order_by(
            F("sort_value").desc(nulls_last=True), "id"
        )
    if order == "grade" and grade_order:
        rank_of_grade = Case(
            *[When(final=code, then=Value(i)) for code, i in grade_order.items()],
            default=Value(len(grade_order)),
            output_field=IntegerField(),
        )
        return rows.annotate(grade_rank=rank_of_grade).order_by(
            "grade_rank", F("composite").desc(nulls_last=True), "id"
        )
    return rows.order_by(F("composite").desc(nulls_last=True), "id")


def ranking_page(page) -> list[GradeRow]:
    """The full rows of one page of :func:`ranking` ids (``(id, position)`` pairs), with their
    position. Paging over narrow ``(id, position)`` rows first keeps the window and the sort
    over a large subtree from carrying every row's JSON along."""
    pairs = list(page)
    rows = {
        r.pk: r
        for r in GradeRow.objects.filter(pk__in=[pk for pk, _p in pairs])
        .select_related("reporter__unit", "reporter__person", "grading__round")
        .only(
            "composite",
            "components",
            "final",
            "grading__round__title",
            "grading__round__year",
            "grading__round__scale",
            "reporter__unit__name",
            "reporter__person__name",
        )
    }
    out = []
    for pk, position in pairs:
        row = rows[pk]
        row.position = position  # type: ignore[attr-defined]
        out.append(row)
    return out


def unit_history(unit_id: int, scope: Q) -> list[GradeRow]:
    """A unit's confirmed current grades year over year, newest first."""
    return list(
        GradeRow.objects.filter(
            scope,
            reporter__unit_id=unit_id,
            is_current=True,
            grading__status=GradingStatus.CONFIRMED,
        )
        .select_related("grading__round__host", "reporter__unit")
        .order_by("-grading__round__year", "-id")
    )


def scale_labels(rnd: Round) -> dict[str, str]:
    return {s["code"]: s["label"] for s in rnd.scale}


def summary(rows: list[GradeRow], scale: list[dict]) -> list[dict[str, Any]]:
    """How many reporters get each grade (for the confirm page)."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.final] = counts.get(r.final, 0) + 1
    out = [
        {"code": s["code"], "label": s["label"], "count": counts.get(s["code"], 0)} for s in scale
    ]
    if counts.get(""):
        out.append({"code": "", "label": "未评定", "count": counts[""]})
    return out
