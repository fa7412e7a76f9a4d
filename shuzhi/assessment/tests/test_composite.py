"""The composite's pure rules: validation messages, normalisation, and the properties that
must hold for every input (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from shuzhi.assessment.grading import composite as c
from shuzhi.cycles.policy import default_scale

SCALE = default_scale()
CODES = [s["code"] for s in SCALE]
THRESHOLDS = [
    {"grade": "good", "min": "90"},
    {"grade": "fair_good", "min": "80"},
    {"grade": "average", "min": "60"},
    {"grade": "poor", "min": "0"},
]
WEIGHTS = {"leaders": Fraction(3, 5), "public": Fraction(2, 5)}


def formula(components, *, cap=None, disq=(), min_ballots=0, reporters=10):
    policies = {
        "good_cap_share": cap,
        "disqualifiers": [{"code": d, "label": d} for d in disq],
        "min_ballots_for_grade": min_ballots,
    }
    return c.parse(components, THRESHOLDS, policies, SCALE, reporters)


def messages(exc: pytest.ExceptionInfo) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


# --- validation ----------------------------------------------------------------------------


def test_weights_must_sum_to_one():
    with pytest.raises(ValidationError) as exc:
        formula(
            [{"code": "annual_score", "weight": "0.5"}, {"code": "ballot_score", "weight": "0.4"}]
        )
    assert "权重之和必须等于 1（现为 0.9）" in messages(exc)


def test_unknown_component_is_refused():
    with pytest.raises(ValidationError) as exc:
        formula([{"code": "attendance", "weight": "1"}])
    assert "未知的组成部分“attendance”" in messages(exc)


def test_unknown_method_is_refused():
    with pytest.raises(ValidationError) as exc:
        formula([{"code": "ballot_score", "weight": "1", "method": "median"}])
    assert "没有“median”这种计算方法" in messages(exc)


def test_thresholds_must_descend():
    bad = [{"grade": "good", "min": "80"}, {"grade": "fair_good", "min": "85"}]
    with pytest.raises(ValidationError) as exc:
        c.parse([{"code": "ballot_score", "weight": "1"}], bad, {}, SCALE)
    assert "依次递减" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        c.parse(
            [{"code": "ballot_score", "weight": "1"}], [{"grade": "best", "min": "1"}], {}, SCALE
        )
    assert "不在本次评议的评价等次中" in messages(exc)


def test_impossible_cap_is_refused():
    with pytest.raises(ValidationError) as exc:
        formula([{"code": "ballot_score", "weight": "1"}], cap="0.05", reporters=10)
    assert "名额不足 1 个，任何评定都无法满足" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        formula([{"code": "ballot_score", "weight": "1"}], cap="1.5")
    assert "大于 0 且不超过 1" in messages(exc)
    assert formula([{"code": "ballot_score", "weight": "1"}], cap="0.1", reporters=10)


def test_adjustments_twice_is_refused():
    with pytest.raises(ValidationError) as exc:
        formula(
            [
                {"code": "annual_score", "weight": "0.5", "method": "with_adjustments"},
                {"code": "adjustments", "weight": "0.5"},
            ]
        )
    assert "重复计算" in messages(exc)


def test_all_errors_are_reported_per_field():
    with pytest.raises(ValidationError) as exc:
        c.parse([{"code": "x", "weight": "1"}], [], {"good_cap_share": "2"}, SCALE)
    assert set(exc.value.message_dict) == {"formula", "thresholds", "policies"}


# --- components ----------------------------------------------------------------------------


def test_ballot_methods_normalise_to_hundred():
    counts = {"leaders": {"good": 3, "fair_good": 1}, "public": {"good": 2, "average": 2, "": 1}}
    assert c.ballot_value("good_rate", counts, SCALE, WEIGHTS).value == Decimal("62.50")
    assert c.ballot_value("good_fair_rate", counts, SCALE, WEIGHTS).value == Decimal("75.00")
    # (5×100 + 80 + 2×60) / 8 = 87.5
    assert c.ballot_value("weighted_points", counts, SCALE, WEIGHTS).value == Decimal("87.50")
    # leaders 95 × 0.6 + public 80 × 0.4 = 89
    v = c.ballot_value("category_weighted", counts, SCALE, WEIGHTS)
    assert v.value == Decimal("89.00")
    assert "加权得分 89.00" in v.derivation


def test_too_few_ballots_is_no_data():
    v = c.ballot_value("good_rate", {"leaders": {"good": 2}}, SCALE, WEIGHTS, min_ballots=3)
    assert v.value is None and "少于结果显示最少票数 3" in v.derivation


def test_critique_rating_maps_scale_points():
    v = c.critique_value(["good", "fair_good", "unknown"], SCALE)
    assert v.value == Decimal("90.00")
    assert c.critique_value([], SCALE).value is None


def test_rectification_rate_and_overdue_penalty():
    assert c.rectification_value(10, 8, 1).value == Decimal("75.00")  # 80 − 5
    assert c.rectification_value(0, 0, 0).value == Decimal("100.00")
    assert c.rectification_value(4, 0, 30).value == Decimal("0.00")


def test_annual_and_adjustments():
    assert c.annual_value(Decimal("63"), Decimal("70")).value == Decimal("90.00")
    assert c.annual_value(None, Decimal("70")).value is None
    assert c.adjustments_value(Decimal("3"), Decimal("1")).value == Decimal("60.00")


def test_composite_lists_missing_components():
    f = formula(
        [{"code": "annual_score", "weight": "0.4"}, {"code": "ballot_score", "weight": "0.6"}]
    )
    result = c.composite(
        f, {"annual_score": c.Value(Decimal("80"), ""), "ballot_score": c.Value(None, "")}
    )
    assert result.value is None
    assert result.missing == ("ballot_score",)
    assert "民主测评得分无数据" in result.derivation
    s = c.suggest(f, result, SCALE, ballots=10)
    assert s.grade == "" and "无数据" in s.derivation


def test_suggestion_thresholds_disqualifiers_and_min_ballots():
    f = formula([{"code": "ballot_score", "weight": "1"}], disq=["accident"], min_ballots=5)
    high = c.Composite(Decimal("95"), "")
    assert c.suggest(f, high, SCALE, ballots=9).grade == "good"
    demoted = c.suggest(f, high, SCALE, ballots=9, disqualified=["accident"])
    assert demoted.grade == "fair_good" and "否决情形" in demoted.derivation
    assert c.suggest(f, high, SCALE, ballots=4).grade == ""
    assert c.suggest(f, c.Composite(Decimal("79.99"), ""), SCALE, ballots=9).grade == "average"


# --- properties ----------------------------------------------------------------------------

counts_st = st.dictionaries(
    st.sampled_from(["leaders", "public"]),
    st.dictionaries(st.sampled_from([*CODES, ""]), st.integers(0, 30), min_size=1),
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(
    counts=counts_st,
    category=st.sampled_from(["leaders", "public"]),
    position=st.integers(1, 3),
    method=st.sampled_from(list(c.METHODS["ballot_score"])),
)
def test_a_better_rating_never_lowers_the_ballot_score(counts, category, position, method):
    """Moving one rating up one grade never lowers any ballot method's value."""
    worse, better = CODES[position], CODES[position - 1]
    if counts.get(category, {}).get(worse, 0) == 0:
        counts.setdefault(category, {})[worse] = 1
    improved = {k: dict(v) for k, v in counts.items()}
    improved[category][worse] -= 1
    improved[category][better] = improved[category].get(better, 0) + 1
    before = c.ballot_value(method, counts, SCALE, WEIGHTS).value
    after = c.ballot_value(method, improved, SCALE, WEIGHTS).value
    assert before is not None and after is not None
    assert after >= before


values_st = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    annual=values_st,
    ballot=values_st,
    rect=values_st,
    bump=st.decimals(min_value=0, max_value=50, places=2),
    which=st.sampled_from(["annual_score", "ballot_score", "rectification"]),
)
def test_a_better_component_never_lowers_the_composite(annual, ballot, rect, bump, which):
    f = formula(
        [
            {"code": "annual_score", "weight": "0.3"},
            {"code": "ballot_score", "weight": "0.5"},
            {"code": "rectification", "weight": "0.2"},
        ]
    )
    values = {
        "annual_score": c.Value(annual, ""),
        "ballot_score": c.Value(ballot, ""),
        "rectification": c.Value(rect, ""),
    }
    better = dict(values)
    current = values[which].value
    assert current is not None
    better[which] = c.Value(min(current + bump, c.HUNDRED), "")
    after, before = c.composite(f, better).value, c.composite(f, values).value
    assert after is not None and before is not None
    assert after >= before


@settings(max_examples=200, deadline=None)
@given(
    annual=values_st,
    ballot=values_st,
    unused=st.one_of(st.none(), values_st),
)
def test_skipped_components_are_never_counted(annual, ballot, unused):
    """Components outside the formula change nothing, whatever their value — even none."""
    f = formula(
        [{"code": "annual_score", "weight": "0.25"}, {"code": "ballot_score", "weight": "0.75"}]
    )
    base = {"annual_score": c.Value(annual, ""), "ballot_score": c.Value(ballot, "")}
    extra = dict(base, critique_rating=c.Value(unused, ""), rectification=c.Value(unused, ""))
    assert c.composite(f, base) == c.composite(f, extra)
    assert c.composite(f, base).value == c.q(Decimal("0.25") * annual + Decimal("0.75") * ballot)


@settings(max_examples=200, deadline=None)
@given(
    composites=st.lists(st.one_of(st.none(), values_st), min_size=1, max_size=40),
    share=st.sampled_from(["0.1", "0.2", "0.25", "0.33", "0.5", "1"]),
)
def test_the_cap_is_never_exceeded(composites, share):
    n = len(composites)
    if c.good_cap(Decimal(share), n) < 1:
        return
    f = formula([{"code": "ballot_score", "weight": "1"}], cap=share, reporters=n)
    suggestions = {}
    for i, value in enumerate(composites):
        s = c.suggest(f, c.Composite(value, ""), SCALE, ballots=99)
        suggestions[i] = (value, s.grade)
    out = c.apply_cap(f, suggestions, SCALE, n)
    goods = [k for k, (g, _n) in out.items() if g == "good"]
    assert len(goods) <= c.good_cap(Decimal(share), n)
    assert not c.cap_exceeded(f, [g for g, _n in out.values()], SCALE)
    # Whoever keeps 好 has a composite at least as high as whoever lost it.
    lost = [k for k, (g, note) in out.items() if note]
    for k in lost:
        assert out[k][0] == "fair_good"
        assert all(composites[g] > composites[k] for g in goods)


def test_cap_keeps_top_n_and_drops_ties_at_the_boundary():
    f = formula([{"code": "ballot_score", "weight": "1"}], cap="0.5", reporters=4)
    s = {
        1: (Decimal("99"), "good"),
        2: (Decimal("95"), "good"),
        3: (Decimal("95"), "good"),
        4: (Decimal("50"), "poor"),
    }
    out = c.apply_cap(f, s, SCALE, 4)
    assert out[1][0] == "good"
    assert out[2][0] == out[3][0] == "fair_good"
    assert "比例上限 0.5" in out[2][1]


def test_rank_shares_positions():
    assert c.rank({"a": Decimal("90"), "b": Decimal("90"), "c": Decimal("80"), "d": None}) == {
        "a": 1,
        "b": 1,
        "c": 3,
    }


@settings(max_examples=300, deadline=None)
@given(counts=counts_st, method=st.sampled_from(list(c.METHODS["ballot_score"])))
def test_ballot_value_agrees_with_the_tally(counts, method):
    """The composite's decimal arithmetic gives the tally's exact values, rounded."""
    from shuzhi.ballots import tally

    value = c.ballot_value(method, counts, SCALE, WEIGHTS).value
    total: dict[str, int] = {}
    for per in counts.values():
        for g, n in per.items():
            if g:
                total[g] = total.get(g, 0) + n
    points = {s["code"]: Fraction(s["points"]) for s in SCALE}
    if tally.cast(total, CODES) == 0:
        assert value is None
        return
    if method == "good_rate":
        exact = tally.top_rate(total, CODES, 1)
    elif method == "good_fair_rate":
        exact = tally.top_rate(total, CODES, 2)
    elif method == "weighted_points":
        average = tally.average_points(total, points)
        assert average is not None
        exact = average / 100
    else:
        averages = {
            cat: tally.average_points({g: n for g, n in per.items() if g}, points)
            for cat, per in counts.items()
        }
        score, _renormalised = tally.weighted_score(averages, WEIGHTS)
        exact = None if score is None else score / 100
    expected = None if exact is None else tally.as_decimal(exact * 100, 2)
    assert value == expected
