"""The tally of a ballot round: counts in SQL, arithmetic in small pure functions.

The database groups the overall ratings by reporter × category × grade (one ``GROUP BY``
query, whatever the number of ballots); the functions below turn those few hundred counts
into shares, the 好 rate, the 好+较好 rate, average points per category, the category-weighted
score Σ avg(category) × weight and the rank within the session. Arithmetic is exact
(:class:`fractions.Fraction`) so shares sum to one and rounding happens only for display.

A reporter's results stay hidden while fewer than ``min_ballots`` non-abstaining ballots
were cast for them: the result carries a flag and no numbers, so a small group's votes
cannot be read off the table. ``min_ballots`` never falls below the site's floor
(``SHUZHI_BALLOT_MIN_FLOOR``), whatever the round's snapshot says.

A voter category that cast fewer ballots than the minimum is left out of every figure — its
own breakdown, the reporter's totals, rates and weighted score, the sub-items — and counted
only in the number of ballots cast: with the other categories shown, any total that included
it would give its few votes away by subtraction.

Who sees a result when (:func:`results_refusal`): nobody while the round is open or void;
the round's organisers once it is closed, to check it before 公布结果; everyone else who may
read results only once it is published.

Sub-items (分项评价 such as 履行责任, 组织建设) rated beside the overall grade are tallied per
reporter × sub-item × grade by the same grouped query, so they cost no query of their own.
They follow the overall rule: a hidden reporter shows no sub-item either, and a
sub-item with fewer non-abstaining ratings than the minimum is hidden on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Count

from shuzhi.cycles import policy as policy_defaults
from shuzhi.kernel.loader import load
from shuzhi.meetings.models import SessionReporter

from .models import OVERALL, Ballot, BallotEntry, BallotRound, BallotRoundStatus
from .policies import can_manage

# ---------------------------------------------------------------------------------------------
# The round's rules, read from the snapshot taken when the round opened.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundRules:
    """The parts of a round's policy the tally, hall screen and paper forms need."""

    scale: list[dict]
    categories: list[dict]
    sub_items: list[dict]
    min_ballots: int

    @property
    def grade_codes(self) -> list[str]:
        return [g["code"] for g in self.scale]

    @property
    def grade_labels(self) -> dict[str, str]:
        return {g["code"]: g["label"] for g in self.scale}

    @property
    def points(self) -> dict[str, Fraction]:
        return {g["code"]: Fraction(str(g["points"])) for g in self.scale}

    @property
    def weights(self) -> dict[str, Fraction]:
        return {c["code"]: Fraction(str(c.get("weight", "0"))) for c in self.categories}

    @property
    def category_labels(self) -> dict[str, str]:
        return {c["code"]: c["label"] for c in self.categories}

    @property
    def items(self) -> list[str]:
        """Item codes rated on each row: the sub-items, then the overall grade."""
        return [s["code"] for s in self.sub_items] + [OVERALL]


def rules_of(ballot_round: BallotRound) -> RoundRules:
    """The round's rules from its policy snapshot; anything missing falls back to the annual
    round's current setting (rounds opened before a key existed) and then to the defaults."""
    snap = ballot_round.policy or {}
    annual = ballot_round.session.round

    def pick(key: str, fallback: Any) -> Any:
        value = snap.get(key)
        return fallback if value in (None, "") else value

    return RoundRules(
        scale=pick("scale", annual.scale or policy_defaults.default_scale()),
        categories=pick("categories", annual.categories or policy_defaults.default_categories()),
        sub_items=pick("sub_items", annual.sub_items or []),
        min_ballots=minimum_ballots(int(pick("min_ballots", annual.min_ballots))),
    )


def minimum_ballots(configured: int) -> int:
    """The minimum number of ballots behind any figure shown: the round's setting, never
    below the site's floor (rounds opened before the floor existed included)."""
    return max(configured, settings.SHUZHI_BALLOT_MIN_FLOOR, 1)


def results_refusal(ballot_round: BallotRound, user=None) -> str:
    """Why ``user`` may not see the round's results yet, in Chinese; ``""`` when they may.

    Open or void: nobody (a live count watched after each vote would give each ballot away).
    Closed but still sealed: nobody — there is nothing to count until the supervisors have
    opened the ballots with their shares. Closed and counted: only the round's organisers
    (``ballot.manage``), who check it before publishing; the hall screen passes no user and so
    waits for 公布结果. Published: whoever may read results at all (the caller has checked
    ``ballot.results`` or ``ballot.manage``).
    """
    status = ballot_round.status
    if status == BallotRoundStatus.VOID:
        return f"本轮已作废：{ballot_round.void_reason}"
    if status == BallotRoundStatus.OPEN:
        return "投票结束并公布后才能查看结果。"
    if ballot_round.sealed:
        return "选票尚未开箱计票：监票人提交份额开箱后才能查看结果。"
    if status == BallotRoundStatus.PUBLISHED:
        return ""
    if user is not None and can_manage(user, ballot_round):
        return ""
    return "结果尚未公布，公布后才能查看。"


def results_visible(ballot_round: BallotRound, user=None) -> bool:
    """May ``user`` (or, without one, the hall screen) see the round's results now?"""
    return not results_refusal(ballot_round, user)


# ---------------------------------------------------------------------------------------------
# Access: a round belongs to its annual round's host unit.
# ---------------------------------------------------------------------------------------------


def ballot_round_for(user, pk: int, *actions: str) -> BallotRound:
    """The ballot round ``pk`` if ``user`` may perform one of ``actions`` on it.

    Out of sight (no ``round.view`` on the host, or no such round): 404. Visible but the
    role lacks every action: 403 (docs/permissions.md).
    """
    return load(
        BallotRound.objects.select_related("session__round__host"),
        user,
        allowed=lambda user, found: any(
            BallotRound.objects.allows(user, action, found) for action in actions
        ),
        denied="您没有查看或管理此轮投票的权限。",
        pk=pk,
    )


# ---------------------------------------------------------------------------------------------
# Pure arithmetic (tested with hypothesis).
# ---------------------------------------------------------------------------------------------


def cast(counts: Mapping[str, int], grades: Sequence[str]) -> int:
    """Non-abstaining ratings among ``counts`` (grades outside the scale are ignored)."""
    return sum(counts.get(g, 0) for g in grades)


def shares(counts: Mapping[str, int], grades: Sequence[str]) -> dict[str, Fraction]:
    """Each grade's share of the non-abstaining ratings; all zero when nobody rated."""
    total = cast(counts, grades)
    if total == 0:
        return {g: Fraction(0) for g in grades}
    return {g: Fraction(counts.get(g, 0), total) for g in grades}


def top_rate(counts: Mapping[str, int], grades: Sequence[str], k: int) -> Fraction | None:
    """Share of the first ``k`` scale grades among non-abstaining ratings (k=1: the 好 rate,
    k=2: the 好+较好 rate); ``None`` when nobody rated."""
    total = cast(counts, grades)
    if total == 0:
        return None
    return Fraction(sum(counts.get(g, 0) for g in grades[:k]), total)


def average_points(counts: Mapping[str, int], points: Mapping[str, Fraction]) -> Fraction | None:
    """Mean scale points of the non-abstaining ratings; ``None`` when nobody rated."""
    total = sum(counts.get(g, 0) for g in points)
    if total == 0:
        return None
    return sum((Fraction(counts.get(g, 0)) * p for g, p in points.items()), Fraction(0)) / total


def weighted_score(
    averages: Mapping[str, Fraction | None], weights: Mapping[str, Fraction]
) -> tuple[Fraction | None, bool]:
    """Σ avg(category) × weight over the categories that rated.

    When some weighted category cast no rating, the weights of those present are scaled to
    sum to one again; the second value says whether that happened. ``None`` when no
    category rated at all.
    """
    present = {c: a for c, a in averages.items() if a is not None and weights.get(c, 0) > 0}
    if not present:
        return None, False
    total_weight = sum((weights[c] for c in present), Fraction(0))
    full_weight = sum((w for w in weights.values() if w > 0), Fraction(0))
    score = sum((a * weights[c] for c, a in present.items()), Fraction(0)) / total_weight
    return score, total_weight != full_weight


def competition_rank(scores: Mapping[Any, Fraction | None]) -> dict[Any, int]:
    """Rank by score, highest first; equal scores share a rank (1, 1, 3). Missing scores get
    no rank."""
    ranked = sorted((s for s in scores.values() if s is not None), reverse=True)
    first: dict[Fraction, int] = {}
    for position, score in enumerate(ranked, start=1):
        first.setdefault(score, position)
    return {key: first[s] for key, s in scores.items() if s is not None}


def as_decimal(value: Fraction | None, places: int = 4) -> Decimal | None:
    """Round a fraction half-up for display and export."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def percent(value: Fraction | None) -> str:
    """``0.8333`` → ``"83.33%"``; ``"—"`` when there is no value."""
    d = as_decimal(value * 100 if value is not None else None, 2)
    return "—" if d is None else f"{d}%"


def points_text(value: Fraction | None) -> str:
    """Points with two decimals; ``"—"`` when there is no value."""
    d = as_decimal(value, 2)
    return "—" if d is None else str(d)


class _Display:
    """Display strings for templates (which cannot format fractions)."""

    good_rate: Fraction | None
    good_fair_rate: Fraction | None
    average: Fraction | None
    shares: dict[str, Fraction]
    counts: dict[str, int]

    @property
    def good_rate_text(self) -> str:
        return percent(self.good_rate)

    @property
    def good_fair_rate_text(self) -> str:
        return percent(self.good_fair_rate)

    @property
    def average_text(self) -> str:
        return points_text(self.average)

    @property
    def count_list(self) -> list[int]:
        return list(self.counts.values())

    @property
    def share_list(self) -> list[str]:
        return [percent(s) for s in self.shares.values()]


# ---------------------------------------------------------------------------------------------
# The tally itself.
# ---------------------------------------------------------------------------------------------


@dataclass
class Breakdown(_Display):
    """One reporter's grades in one voter category, or on one sub-item. ``hidden`` when too
    few voters stand behind it (a category that cast fewer ballots than the round's minimum, a
    sub-item rated by fewer): its numbers would show how those few people voted."""

    code: str
    label: str
    counts: dict[str, int]
    abstained: int
    cast: int
    shares: dict[str, Fraction]
    good_rate: Fraction | None
    good_fair_rate: Fraction | None
    average: Fraction | None
    hidden: bool = False

    @classmethod
    def hidden_for(cls, code: str, label: str) -> Breakdown:
        return cls(code, label, {}, 0, 0, {}, None, None, None, hidden=True)

    @classmethod
    def from_counts(
        cls, code: str, label: str, counts: Mapping[str, int], abstained: int, rules: RoundRules
    ) -> Breakdown:
        """``counts`` maps grade codes to ballots, abstentions already taken out."""
        grades = rules.grade_codes
        return cls(
            code=code,
            label=label,
            counts={g: counts.get(g, 0) for g in grades},
            abstained=abstained,
            cast=cast(counts, grades),
            shares=shares(counts, grades),
            good_rate=top_rate(counts, grades, 1),
            good_fair_rate=top_rate(counts, grades, 2),
            average=average_points(counts, rules.points),
        )


# The two uses of a breakdown, named for readers of the tally.
CategoryResult = Breakdown
SubItemResult = Breakdown


@dataclass
class ReporterResult(_Display):
    """One reporter's result; when ``hidden`` only the identity and the flag are meaningful."""

    session_reporter_id: int
    position: int
    unit_name: str
    person_name: str
    mode: str
    hidden: bool
    cast: int = 0
    abstained: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    shares: dict[str, Fraction] = field(default_factory=dict)
    good_rate: Fraction | None = None
    good_fair_rate: Fraction | None = None
    average: Fraction | None = None
    score: Fraction | None = None
    renormalised: bool = False
    rank: int | None = None
    categories: list[CategoryResult] = field(default_factory=list)
    sub_items: list[SubItemResult] = field(default_factory=list)

    @property
    def score_text(self) -> str:
        return points_text(self.score)


@dataclass
class Tally:
    """The whole round's result."""

    ballot_round: BallotRound
    rules: RoundRules
    ballots: int
    ballots_by_category: dict[str, int]
    reporters: list[ReporterResult]

    @property
    def renormalised(self) -> bool:
        return any(r.renormalised for r in self.reporters)

    @property
    def renormalised_note(self) -> str:
        if not self.renormalised:
            return ""
        return "部分类别没有计入结果的选票，已按其余类别的权重重新折算为 100%。"

    @property
    def small_categories(self) -> list[str]:
        """Labels of the voter categories left out of every figure (fewer ballots than the
        minimum), in policy order."""
        labels = self.rules.category_labels
        known = [c["code"] for c in self.rules.categories]
        small = [
            code
            for code in known + sorted(set(self.ballots_by_category) - set(known))
            if 0 < self.ballots_by_category.get(code, 0) < self.rules.min_ballots
        ]
        return [labels.get(code, code) for code in small]

    @property
    def small_note(self) -> str:
        if not self.small_categories:
            return ""
        names = "、".join(self.small_categories)
        return (
            f"{names}的选票不足 {self.rules.min_ballots} 张，为免认出投票人，不计入也不显示结果。"
        )


def small_categories(by_category: Mapping[str, int], rules: RoundRules) -> frozenset[str]:
    """The voter categories of a round left out of every figure: fewer ballots than the
    minimum (``{category: ballots cast}``). The one min-floor rule — the tally, its exports and
    the grading's ballot component all ask here."""
    return frozenset(code for code, n in by_category.items() if n < rules.min_ballots)


def ballots_by_category(round_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """``{round id: {category: ballots cast}}`` of the given ballot rounds, in one query."""
    out: dict[int, dict[str, int]] = {}
    for round_id, category, n in (
        Ballot.objects.filter(round_id__in=list(round_ids))
        .values_list("round_id", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        out.setdefault(round_id, {})[category] = n
    return out


def snapshot_reporter_ids(ballot_round: BallotRound) -> list[int]:
    """Session reporter ids of the round's snapshot, in order (entries are ``{"id", …}``
    dicts as the round stores them, or bare ids)."""
    return [int(r["id"]) if isinstance(r, dict) else int(r) for r in ballot_round.reporters or []]


def session_reporters(ballot_round: BallotRound) -> list[SessionReporter]:
    """The round's reporters in speaking order, with unit and person (one query)."""
    rows = SessionReporter.objects.filter(session_id=ballot_round.session_id).select_related(
        "reporter__unit", "reporter__person"
    )
    wanted = snapshot_reporter_ids(ballot_round)
    by_id = {r.pk: r for r in rows}
    if wanted:
        return [by_id[i] for i in wanted if i in by_id]
    return sorted(by_id.values(), key=lambda r: (r.position, r.pk))


def _reporter_result(
    sr: SessionReporter,
    per_category: Mapping[str, Mapping[str, int]],
    rules: RoundRules,
    small_categories: frozenset[str] = frozenset(),
) -> ReporterResult:
    grades = rules.grade_codes
    points = rules.points
    base = ReporterResult(
        session_reporter_id=sr.pk,
        position=sr.position,
        unit_name=sr.reporter.unit.name,
        person_name=sr.reporter.person.name if sr.reporter.person else "",
        mode=sr.mode,
        hidden=True,
    )
    total: dict[str, int] = {}
    abstained_total = 0
    categories = []
    averages: dict[str, Fraction | None] = {}
    known = [c["code"] for c in rules.categories]
    extra = sorted(set(per_category) - set(known))
    for code in known + extra:
        label = rules.category_labels.get(code, code)
        if code in small_categories:
            # Left out of the totals and the score too, not only its own row: shown beside
            # the other categories, a total that included it would reveal it by subtraction.
            categories.append(Breakdown.hidden_for(code, label))
            averages[code] = None
            continue
        counts = dict(per_category.get(code, {}))
        abstained = counts.pop("", 0)
        abstained_total += abstained
        for g, n in counts.items():
            total[g] = total.get(g, 0) + n
        averages[code] = average_points(counts, points)
        categories.append(Breakdown.from_counts(code, label, counts, abstained, rules))
    base.cast = cast(total, grades)
    if base.cast < rules.min_ballots:
        return base
    score, renormalised = weighted_score(averages, rules.weights)
    base.hidden = False
    base.abstained = abstained_total
    base.counts = {g: total.get(g, 0) for g in grades}
    base.shares = shares(total, grades)
    base.good_rate = top_rate(total, grades, 1)
    base.good_fair_rate = top_rate(total, grades, 2)
    base.average = average_points(total, points)
    base.score = score
    base.renormalised = renormalised
    base.categories = categories
    return base


def _sub_item_results(
    per_item: Mapping[str, Mapping[str, int]], rules: RoundRules
) -> list[SubItemResult]:
    """One result per sub-item of the round, in policy order, from ``{item: {grade: n}}``."""
    grades = rules.grade_codes
    minimum = rules.min_ballots
    results = []
    for sub in rules.sub_items:
        counts = dict(per_item.get(sub["code"], {}))
        abstained = counts.pop("", 0)
        if cast(counts, grades) < minimum:
            results.append(Breakdown.hidden_for(sub["code"], sub["label"]))
        else:
            results.append(
                Breakdown.from_counts(sub["code"], sub["label"], counts, abstained, rules)
            )
    return results


def compute(ballot_round: BallotRound) -> Tally:
    """Tally ``ballot_round`` (its session and annual round already loaded) in three queries,
    with or without sub-items: the ratings grouped by reporter × category × item × grade (the
    overall grade and every sub-item at once), the ballots per category, and the reporters."""
    rules = rules_of(ballot_round)
    grouped = (
        BallotEntry.objects.filter(round=ballot_round, item__in=rules.items)
        .values_list("reporter_id", "category", "item", "grade")
        .annotate(n=Count("*"))
        .order_by()
    )
    by_category = dict(
        Ballot.objects.filter(round=ballot_round)
        .values_list("category")
        .annotate(n=Count("id"))
        .order_by()
    )
    small = small_categories(by_category, rules)
    counts: dict[int, dict[str, dict[str, int]]] = {}
    by_item: dict[int, dict[str, dict[str, int]]] = {}
    for reporter_id, category, item, grade, n in grouped:
        if category in small:
            continue  # a category below the minimum enters no figure (module docstring)
        if item == OVERALL:
            counts.setdefault(reporter_id, {}).setdefault(category, {})[grade] = n
        else:  # sub-items are reported over all categories together
            grades = by_item.setdefault(reporter_id, {}).setdefault(item, {})
            grades[grade] = grades.get(grade, 0) + n
    results = [
        _reporter_result(sr, counts.get(sr.pk, {}), rules, small)
        for sr in session_reporters(ballot_round)
    ]
    for r in results:
        if not r.hidden and rules.sub_items:  # a hidden reporter shows no sub-item either
            r.sub_items = _sub_item_results(by_item.get(r.session_reporter_id, {}), rules)
    ranks = competition_rank({r.session_reporter_id: r.score for r in results if not r.hidden})
    for r in results:
        r.rank = ranks.get(r.session_reporter_id)
    return Tally(
        ballot_round=ballot_round,
        rules=rules,
        ballots=sum(by_category.values()),
        ballots_by_category=by_category,
        reporters=results,
    )


def as_json(tally: Tally) -> dict[str, Any]:
    """A plain dict of the tally for the API (decimals as strings; hidden rows carry no numbers)."""

    def pct(v: Fraction | None) -> str | None:
        d = as_decimal(v, 4)
        return None if d is None else str(d)

    def pts(v: Fraction | None) -> str | None:
        d = as_decimal(v, 2)
        return None if d is None else str(d)

    reporters = []
    for r in tally.reporters:
        row: dict[str, Any] = {
            "session_reporter_id": r.session_reporter_id,
            "position": r.position,
            "unit": r.unit_name,
            "person": r.person_name,
            "hidden": r.hidden,
        }
        if not r.hidden:
            row.update(
                cast=r.cast,
                abstained=r.abstained,
                counts=r.counts,
                shares={g: pct(s) for g, s in r.shares.items()},
                good_rate=pct(r.good_rate),
                good_fair_rate=pct(r.good_fair_rate),
                average=pts(r.average),
                score=pts(r.score),
                renormalised=r.renormalised,
                rank=r.rank,
                categories=[
                    {"code": c.code, "label": c.label, "hidden": True}
                    if c.hidden
                    else {
                        "code": c.code,
                        "label": c.label,
                        "hidden": False,
                        "counts": c.counts,
                        "abstained": c.abstained,
                        "cast": c.cast,
                        "shares": {g: pct(s) for g, s in c.shares.items()},
                        "good_rate": pct(c.good_rate),
                        "good_fair_rate": pct(c.good_fair_rate),
                        "average": pts(c.average),
                    }
                    for c in r.categories
                ],
                sub_items=[
                    {"code": i.code, "label": i.label, "hidden": True}
                    if i.hidden
                    else {
                        "code": i.code,
                        "label": i.label,
                        "hidden": False,
                        "counts": i.counts,
                        "abstained": i.abstained,
                        "cast": i.cast,
                        "shares": {g: pct(s) for g, s in i.shares.items()},
                        "good_rate": pct(i.good_rate),
                        "good_fair_rate": pct(i.good_fair_rate),
                        "average": pts(i.average),
                    }
                    for i in r.sub_items
                ],
            )
        reporters.append(row)
    return {
        "round": tally.ballot_round.pk,
        "status": tally.ballot_round.status,
        "ballots": tally.ballots,
        "ballots_by_category": tally.ballots_by_category,
        "min_ballots": tally.rules.min_ballots,
        "scale": [{"code": g["code"], "label": g["label"]} for g in tally.rules.scale],
        "sub_items": [{"code": s["code"], "label": s["label"]} for s in tally.rules.sub_items],
        "renormalised": tally.renormalised,
        "note": tally.renormalised_note,
        "small_categories": tally.small_categories,
        "small_note": tally.small_note,
        "reporters": reporters,
    }


def grade_header(rules: RoundRules) -> list[tuple[str, str]]:
    """``(code, label)`` of each scale grade, for tables."""
    return [(g["code"], g["label"]) for g in rules.scale]
