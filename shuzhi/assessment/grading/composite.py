"""The composite of a grading (综合得分) and the suggested grade — pure functions, no database.

Every component is normalised to 0–100 and carries its derivation, so the grading page can
show how each number came about:

- ``annual_score`` 年度党建考核得分: the unit's annual total under its indicator set (items
  clamped to their maximum, approved 加减分 included, as :func:`scoring.annual_total`)
  divided by the set's full marks (Σ item maximum), × 100, capped at 100. Method
  ``items_only`` leaves the adjustments out (use it together with the ``adjustments``
  component, otherwise they would count twice).
- ``ballot_score`` 民主测评得分: from the ratings of the reporter's last closed ballot round,
  by one of the tally's methods — ``weighted_points`` (mean scale points of all ratings),
  ``category_weighted`` (Σ mean points per voter category × category weight), ``good_rate``
  (share of 好), ``good_fair_rate`` (share of 好 and 较好). Points are divided by the best
  grade's points so the best possible result is 100; rates are × 100. A reporter whose ballots
  are hidden (fewer than the round's minimum) has no data.
- ``critique_rating`` 点评等次: the mean of the scale points of the published critiques'
  ratings, divided by the best grade's points, × 100.
- ``rectification`` 整改成效 for the unit in the round's year:
  ``100 × closed / total − penalty × overdue`` bounded to 0–100 (``penalty`` defaults to 5
  points per overdue item; a unit with no rectification item scores 100, as in the indicator
  set's automatic rate item).
- ``adjustments`` 加减分: approved bonus − deduction on the unit's annual score, mapped
  linearly so that −span → 0, 0 → 50, +span → 100 (``span`` defaults to 10 points).

The composite is Σ weight × value over the components the formula lists — only those; the
weights must sum to 1. A component the formula lists but the reporter has no data for is shown
as 无数据 and the composite is not computed (never counted as zero). Thresholds turn the
composite into a suggested grade; disqualifiers forbid the best grade; too few ballots give no
suggestion; the cap on the share of the best grade keeps it for the top N by composite only.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError

HUNDRED = Decimal("100")
ZERO = Decimal("0")
CENT = Decimal("0.01")
NO_DATA = "无数据"

COMPONENTS: dict[str, str] = {
    "annual_score": "年度党建考核得分",
    "ballot_score": "民主测评得分",
    "critique_rating": "点评等次",
    "rectification": "整改成效",
    "adjustments": "加减分",
}

METHODS: dict[str, dict[str, str]] = {
    "annual_score": {"with_adjustments": "含加减分", "items_only": "仅指标得分"},
    "ballot_score": {
        "weighted_points": "按等次分值平均",
        "category_weighted": "分类别加权得分",
        "good_rate": "好评率",
        "good_fair_rate": "好和较好率",
    },
    "critique_rating": {"mean": "按等次分值平均"},
    "rectification": {"rate_minus_overdue": "销号率扣减逾期"},
    "adjustments": {"net": "净加减分"},
}

DEFAULT_PENALTY = Decimal("5")
DEFAULT_SPAN = Decimal("10")


def q(value: Decimal) -> Decimal:
    """Two places, half up, as score sheets round."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def bound(value: Decimal) -> Decimal:
    return min(max(value, ZERO), HUNDRED)


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


# ---------------------------------------------------------------------------------------------
# The formula as data, validated.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    code: str
    weight: Decimal
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return COMPONENTS[self.code]

    @property
    def method_label(self) -> str:
        return METHODS[self.code].get(self.method, self.method)


@dataclass(frozen=True)
class Formula:
    """A validated formula: the components in use, thresholds best grade first, policies."""

    components: tuple[Component, ...]
    thresholds: tuple[tuple[str, Decimal], ...]
    good_cap_share: Decimal | None = None
    disqualifiers: tuple[tuple[str, str], ...] = ()
    min_ballots: int = 0

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.components]

    def component(self, code: str) -> Component | None:
        return next((c for c in self.components if c.code == code), None)

    def text(self) -> str:
        """``0.4×年度党建考核得分 + 0.6×民主测评得分（好评率）``."""
        return " + ".join(f"{c.weight}×{c.label}（{c.method_label}）" for c in self.components)


def _decimal(raw: Any, field_name: str, message: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field_name: message}) from exc
    if not value.is_finite():
        raise ValidationError({field_name: message})
    return value


def parse_formula(raw: Any) -> tuple[Component, ...]:
    """Components from ``[{"code", "weight", "method"?, "params"?}]``; weights must sum to 1."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"formula": "综合得分公式至少要包含一个组成部分。"})
    components = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, dict):
            raise ValidationError({"formula": "综合得分公式格式不正确。"})
        code = str(entry.get("code", ""))
        if code not in COMPONENTS:
            raise ValidationError({"formula": f"未知的组成部分“{code}”。"})
        if code in seen:
            raise ValidationError({"formula": f"组成部分“{COMPONENTS[code]}”重复。"})
        seen.add(code)
        weight = _decimal(entry.get("weight"), "formula", f"“{COMPONENTS[code]}”的权重必须是数字。")
        if weight <= 0 or weight > 1:
            raise ValidationError({"formula": f"“{COMPONENTS[code]}”的权重必须大于 0 且不超过 1。"})
        methods = METHODS[code]
        method = str(entry.get("method") or next(iter(methods)))
        if method not in methods:
            raise ValidationError({"formula": f"“{COMPONENTS[code]}”没有“{method}”这种计算方法。"})
        params = entry.get("params") or {}
        if not isinstance(params, dict):
            raise ValidationError({"formula": "计算参数格式不正确。"})
        for key in ("penalty", "span"):
            if key in params:
                value = _decimal(params[key], "formula", "计算参数必须是数字。")
                if value < 0 or (key == "span" and value == 0):
                    raise ValidationError({"formula": "计算参数必须是正数。"})
        components.append(Component(code, weight, method, params))
    total = sum((c.weight for c in components), ZERO)
    if total != 1:
        raise ValidationError({"formula": f"各组成部分的权重之和必须等于 1（现为 {total}）。"})
    annual = next((c for c in components if c.code == "annual_score"), None)
    if annual and annual.method == "with_adjustments" and "adjustments" in seen:
        raise ValidationError(
            {
                "formula": "年度党建考核得分已含加减分，再单列“加减分”会重复计算；"
                "请将年度得分的计算方法改为“仅指标得分”。"
            }
        )
    return tuple(components)


def parse_thresholds(
    raw: Any, scale: Sequence[Mapping[str, Any]]
) -> tuple[tuple[str, Decimal], ...]:
    """``[{"grade", "min"}]`` best grade first, minimums strictly descending within 0–100."""
    codes = [s["code"] for s in scale]
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"thresholds": "请设置各等次的分数线。"})
    result: list[tuple[str, Decimal]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ValidationError({"thresholds": "分数线格式不正确。"})
        grade = str(entry.get("grade", ""))
        if grade not in codes:
            raise ValidationError({"thresholds": f"等次“{grade}”不在本次评议的评价等次中。"})
        if any(g == grade for g, _m in result):
            raise ValidationError({"thresholds": "同一等次不能设置两条分数线。"})
        minimum = _decimal(entry.get("min"), "thresholds", "分数线必须是数字。")
        if minimum < 0 or minimum > HUNDRED:
            raise ValidationError({"thresholds": "分数线必须在 0 到 100 之间。"})
        result.append((grade, minimum))
    for (g1, m1), (g2, m2) in itertools.pairwise(result):
        if m2 >= m1 or codes.index(g2) <= codes.index(g1):
            raise ValidationError(
                {"thresholds": "分数线必须从高等次到低等次依次递减（高等次的分数线更高）。"}
            )
    return tuple(result)


def parse_policies(
    raw: Any, scale: Sequence[Mapping[str, Any]], reporters: int
) -> tuple[Decimal | None, tuple[tuple[str, str], ...], int]:
    """The cap on the best grade's share, the disqualifiers and the minimum ballots.

    A cap is refused when no assignment can satisfy it and still award the best grade to
    anybody: share outside (0, 1], or ``share × reporters`` below one whole reporter.
    """
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValidationError({"policies": "评定规则格式不正确。"})
    best = scale[0]["label"] if scale else "好"
    cap: Decimal | None = None
    if raw.get("good_cap_share") not in (None, ""):
        cap = _decimal(raw["good_cap_share"], "policies", f"“{best}”等次比例上限必须是数字。")
        if cap <= 0 or cap > 1:
            raise ValidationError({"policies": f"“{best}”等次比例上限必须大于 0 且不超过 1。"})
        if reporters and good_cap(cap, reporters) < 1:
            raise ValidationError(
                {
                    "policies": f"按比例上限 {cap} 和 {reporters} 个述职对象计算，"
                    f"“{best}”等次名额不足 1 个，任何评定都无法满足，请调整比例上限。"
                }
            )
    disqualifiers: list[tuple[str, str]] = []
    for entry in raw.get("disqualifiers") or []:
        if not isinstance(entry, dict) or not entry.get("code") or not entry.get("label"):
            raise ValidationError({"policies": "每个否决情形都要有代码和名称。"})
        if any(c == entry["code"] for c, _l in disqualifiers):
            raise ValidationError({"policies": "否决情形的代码不能重复。"})
        disqualifiers.append((str(entry["code"]), str(entry["label"])))
    min_ballots = raw.get("min_ballots_for_grade") or 0
    if not isinstance(min_ballots, int) or min_ballots < 0:
        raise ValidationError({"policies": "给出建议等次的最少票数必须是非负整数。"})
    return cap, tuple(disqualifiers), min_ballots


def parse(
    formula: Any,
    thresholds: Any,
    policies: Any,
    scale: Sequence[Mapping[str, Any]],
    reporters: int = 0,
) -> Formula:
    """Validate the three JSON fields of a grading together; raise ``ValidationError`` (a dict
    of Chinese messages per field) on the first problem found in each."""
    errors: dict[str, list[str]] = {}
    components: tuple[Component, ...] = ()
    limits: tuple[tuple[str, Decimal], ...] = ()
    cap: Decimal | None = None
    disq: tuple[tuple[str, str], ...] = ()
    minimum = 0
    try:
        components = parse_formula(formula)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        limits = parse_thresholds(thresholds, scale)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cap, disq, minimum = parse_policies(policies, scale, reporters)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return Formula(components, limits, cap, disq, minimum)


def good_cap(share: Decimal, reporters: int) -> int:
    """How many reporters may hold the best grade: ⌊share × reporters⌋."""
    return int((share * reporters).to_integral_value(rounding=ROUND_FLOOR))


# ---------------------------------------------------------------------------------------------
# Component values, each with its derivation.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A component's normalised value (``None`` = 无数据) and how it was obtained."""

    value: Decimal | None
    derivation: str
    raw: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "value": None if self.value is None else str(self.value),
            "derivation": self.derivation,
            "raw": dict(self.raw),
        }


def annual_value(total: Decimal | None, full_marks: Decimal | None, set_title: str = "") -> Value:
    """Annual total ÷ full marks × 100 (capped at 100)."""
    if total is None or not full_marks:
        return Value(None, "没有该单位本年度的考核得分" if total is None else "指标体系没有分值")
    value = q(bound(total / full_marks * HUNDRED))
    where = f"（{set_title}）" if set_title else ""
    return Value(
        value,
        f"年度考核得分 {total} ÷ 满分 {full_marks}{where} × 100 = {value}",
        {"total": str(total), "full_marks": str(full_marks)},
    )


def _decimal_points(scale: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    """``{code: points}`` as decimals (scale points are decimal numbers, so this is exact)."""
    return dict(_decimal_points_of(tuple((s["code"], str(s["points"])) for s in scale)))


@functools.lru_cache(maxsize=64)
def _decimal_points_of(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, Decimal], ...]:
    return tuple((code, Decimal(points)) for code, points in pairs)


def _scale_info(
    scale: Sequence[Mapping[str, Any]],
) -> tuple[list[str], dict[str, str], dict[str, Decimal], Decimal]:
    """Codes, labels, decimal points and the best points of a scale (cached per scale)."""
    grades, labels, points, best = _scale_info_of(
        tuple((s["code"], s["label"], str(s["points"])) for s in scale)
    )
    return list(grades), dict(labels), dict(points), best


@functools.lru_cache(maxsize=64)
def _scale_info_of(
    entries: tuple[tuple[str, str, str], ...],
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[tuple[str, Decimal], ...], Decimal]:
    points = tuple((code, Decimal(p)) for code, _label, p in entries)
    return (
        tuple(code for code, _l, _p in entries),
        tuple((code, label) for code, label, _p in entries),
        points,
        max((p for _c, p in points), default=ZERO),
    )


@functools.lru_cache(maxsize=64)
def _decimal_weights(weights: tuple[tuple[str, Fraction], ...]) -> dict[str, Decimal]:
    return {c: _dec(w) for c, w in weights}


def ballot_value(
    method: str,
    per_category: Mapping[str, Mapping[str, int]],
    scale: Sequence[Mapping[str, Any]],
    weights: Mapping[str, Fraction],
    min_ballots: int = 1,
    category_labels: Mapping[str, str] | None = None,
) -> Value:
    """The ballot component from ``{category: {grade: count}}`` (abstentions under ``""`` are
    ignored), by the tally's rules (:mod:`shuzhi.ballots.tally`: shares of the non-abstaining
    ratings, mean scale points, Σ mean(category) × weight over the categories that rated with
    the weights scaled back to one).

    The arithmetic is in ``Decimal`` rather than the tally's fractions: a round has thousands of
    reporters, and the values are rounded to two places anyway (the tests check both agree).
    """
    grades, labels, points, best = _scale_info(scale)
    total: dict[str, int] = {}
    for counts in per_category.values():
        for g, n in counts.items():
            if g:
                total[g] = total.get(g, 0) + n
    cast = sum(total.get(g, 0) for g in grades)
    raw: dict[str, Any] = {"cast": cast, "counts": {g: total.get(g, 0) for g in grades}}
    if cast < max(min_ballots, 1):
        return Value(None, f"有效票 {cast} 张，少于结果显示最少票数 {min_ballots}", raw)
    counts_text = "、".join(f"{labels[g]} {total.get(g, 0)}" for g in grades)
    if method in ("good_rate", "good_fair_rate"):
        k = 1 if method == "good_rate" else 2
        top = sum(total.get(g, 0) for g in grades[:k])
        value = q(Decimal(top) * HUNDRED / Decimal(cast))
        head = "+".join(labels[g] for g in grades[:k])
        return Value(value, f"{counts_text}；{head} 占有效票 {cast} 张的 {value}%", raw)
    if best <= 0:
        return Value(None, "评价等次没有正分值，无法折算", raw)
    if method == "weighted_points":
        average = sum((points[g] * total.get(g, 0) for g in grades), ZERO) / Decimal(cast)
        value = q(bound(average / best * HUNDRED))
        return Value(
            value,
            f"{counts_text}；平均分 {q(average)} ÷ 最高等次分值 {q(best)} × 100 = {value}",
            raw,
        )
    dec_weights = _decimal_weights(tuple(weights.items()))
    averages: dict[str, Decimal] = {}
    for c, counts in per_category.items():
        n = sum(counts.get(g, 0) for g in grades)
        if n:
            averages[c] = sum((points[g] * counts.get(g, 0) for g in grades), ZERO) / Decimal(n)
    present = {c: a for c, a in averages.items() if dec_weights.get(c, ZERO) > 0}
    if not present:
        return Value(None, "没有任何有权重的类别投出有效票", raw)
    present_weight = sum((dec_weights[c] for c in present), ZERO)
    full_weight = sum((w for w in dec_weights.values() if w > 0), ZERO)
    score = sum((a * dec_weights[c] for c, a in present.items()), ZERO) / present_weight
    renormalised = present_weight != full_weight
    value = q(bound(score / best * HUNDRED))
    # People read the category's name (班子成员), never its code (leaders).
    names = category_labels or {}
    parts = "；".join(
        f"{names.get(c, c)} 平均 {q(a)} × 权重 {dec_weights.get(c, ZERO)}"
        for c, a in averages.items()
    )
    note = "（部分类别无票，权重已按有票类别重新折算）" if renormalised else ""
    raw["renormalised"] = renormalised
    return Value(
        value,
        f"{parts}；加权得分 {q(score)}{note} ÷ 最高等次分值 {q(best)} × 100 = {value}",
        raw,
    )


def critique_value(ratings: Sequence[str], scale: Sequence[Mapping[str, Any]]) -> Value:
    """Mean scale points of the critiques' ratings (codes outside the scale are ignored)."""
    points = _decimal_points(scale)
    labels = {s["code"]: s["label"] for s in scale}
    used = [r for r in ratings if r in points]
    if not used:
        return Value(None, "没有带总体评价的已发布点评")
    best = max(points.values())
    if best <= 0:
        return Value(None, "评价等次没有正分值，无法折算")
    mean = sum((points[r] for r in used), ZERO) / Decimal(len(used))
    value = q(bound(mean / best * HUNDRED))
    listing = "、".join(f"{labels[r]}（{q(points[r])}）" for r in used)
    return Value(
        value,
        f"点评等次 {listing}；平均 {q(mean)} ÷ {q(best)} × 100 = {value}",
        {"ratings": list(used)},
    )


def rectification_value(
    total: int, closed: int, overdue: int, penalty: Decimal = DEFAULT_PENALTY
) -> Value:
    """``100 × closed / total − penalty × overdue`` within 0–100; no items → 100."""
    raw = {"total": total, "closed": closed, "overdue": overdue, "penalty": str(penalty)}
    closed = min(max(closed, 0), max(total, 0))
    overdue = max(overdue, 0)
    rate = HUNDRED if total <= 0 else Decimal(closed) * HUNDRED / Decimal(total)
    value = q(bound(rate - penalty * overdue))
    if total <= 0:
        head = "本年度无整改问题，销号率按 100 计"
    else:
        head = f"销号 {closed}/{total} = {q(rate)}"
    return Value(value, f"{head}；逾期 {overdue} 项 × {penalty} 分；得 {value}", raw)


def adjustments_value(bonus: Decimal, deduction: Decimal, span: Decimal = DEFAULT_SPAN) -> Value:
    """``50 + 50 × (bonus − deduction) / span`` within 0–100."""
    net = bonus - deduction
    value = q(bound(Decimal(50) + Decimal(50) * net / span))
    return Value(
        value,
        f"已批准加分 {bonus} − 减分 {deduction} = {net}；50 + 50 × {net} ÷ {span} = {value}",
        {"bonus": str(bonus), "deduction": str(deduction), "span": str(span)},
    )


# ---------------------------------------------------------------------------------------------
# Composite, suggestion, cap, rank.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Composite:
    value: Decimal | None
    derivation: str
    missing: tuple[str, ...] = ()


def composite(formula: Formula, values: Mapping[str, Value]) -> Composite:
    """Σ weight × value over the formula's components only; any of them without data → no
    composite (the derivation names what is missing)."""
    missing = tuple(
        c.code
        for c in formula.components
        if values.get(c.code) is None or values[c.code].value is None
    )
    if missing:
        names = "、".join(COMPONENTS[m] for m in missing)
        return Composite(None, f"{names}{NO_DATA}，不计算综合得分", missing)
    total = ZERO
    parts = []
    for c in formula.components:
        v = values[c.code].value
        assert v is not None
        total += c.weight * v
        parts.append(f"{c.weight} × {v}（{c.label}）")
    value = q(total)
    return Composite(value, " + ".join(parts) + f" = {value}")


@dataclass(frozen=True)
class Suggestion:
    grade: str
    derivation: str


def suggest(
    formula: Formula,
    result: Composite,
    scale: Sequence[Mapping[str, Any]],
    *,
    ballots: int,
    disqualified: Sequence[str] = (),
) -> Suggestion:
    """The grade the thresholds give, with the disqualifiers and the minimum ballots applied.

    Below every threshold: the lowest grade of the scale. A disqualified reporter cannot get
    the best grade: they get the next grade.
    """
    labels = {s["code"]: s["label"] for s in scale}
    codes = [s["code"] for s in scale]
    if ballots < formula.min_ballots:
        return Suggestion(
            "", f"有效票 {ballots} 张，少于给出建议等次的最少票数 {formula.min_ballots}"
        )
    if result.value is None:
        return Suggestion("", result.derivation)
    grade = codes[-1]
    why = f"综合得分 {result.value} 低于所有分数线，建议为最低等次"
    for code, minimum in formula.thresholds:
        if result.value >= minimum:
            grade = code
            why = f"综合得分 {result.value} ≥ {labels[code]}分数线 {minimum}"
            break
    if disqualified and grade == codes[0] and len(codes) > 1:
        names = "、".join(dict(formula.disqualifiers).get(d, d) for d in disqualified)
        grade = codes[1]
        why += f"；存在否决情形（{names}），不得评为{labels[codes[0]]}，降为{labels[grade]}"
    return Suggestion(grade, why + f"，建议“{labels[grade]}”")


def apply_cap(
    formula: Formula,
    suggestions: Mapping[Any, tuple[Decimal | None, str]],
    scale: Sequence[Mapping[str, Any]],
    reporters: int,
) -> dict[Any, tuple[str, str]]:
    """Enforce the cap on the best grade: the top N by composite keep it, the others drop to
    the next grade. Reporters tied at the boundary all drop (the cap is never exceeded).

    ``suggestions``: key → (composite, suggested grade). Returns key → (grade, note) for every
    key (note empty when unchanged).
    """
    out = {k: (g, "") for k, (_c, g) in suggestions.items()}
    if formula.good_cap_share is None or len(scale) < 2:
        return out
    best, nxt = scale[0]["code"], scale[1]["code"]
    labels = {s["code"]: s["label"] for s in scale}
    limit = good_cap(formula.good_cap_share, reporters)
    holders = sorted(
        ((c or ZERO, k) for k, (c, g) in suggestions.items() if g == best),
        key=lambda t: t[0],
        reverse=True,
    )
    if len(holders) <= limit:
        return out
    keep: set[Any] = set()
    if limit > 0:
        boundary = holders[limit - 1][0]
        above = [k for c, k in holders if c > boundary]
        at = [k for c, k in holders if c == boundary]
        keep = set(above) | (set(at) if len(above) + len(at) <= limit else set())
    for _c, k in holders:
        if k not in keep:
            out[k] = (
                nxt,
                f"“{labels[best]}”等次比例上限 {formula.good_cap_share}（{reporters} 人中至多 "
                f"{limit} 人），按综合得分排在名额之外，降为“{labels[nxt]}”",
            )
    return out


def rank(values: Mapping[Any, Decimal | None]) -> dict[Any, int]:
    """Competition rank by composite, highest first (1, 1, 3); no composite → no rank."""
    ordered = sorted((v for v in values.values() if v is not None), reverse=True)
    first: dict[Decimal, int] = {}
    for position, v in enumerate(ordered, start=1):
        first.setdefault(v, position)
    return {k: first[v] for k, v in values.items() if v is not None}


def cap_exceeded(
    formula: Formula, finals: Sequence[str], scale: Sequence[Mapping[str, Any]]
) -> str:
    """The refusal message when the committee's final grades give the best grade to more
    reporters than the cap allows; empty when they fit."""
    if formula.good_cap_share is None or not scale:
        return ""
    best = scale[0]["code"]
    limit = good_cap(formula.good_cap_share, len(finals))
    count = sum(1 for f in finals if f == best)
    if count > limit:
        return (
            f"“{scale[0]['label']}”等次共 {count} 个，超过比例上限 {formula.good_cap_share} "
            f"允许的 {limit} 个。"
        )
    return ""
