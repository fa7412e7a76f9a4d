"""The tally: pure arithmetic (property tests) and the SQL tally of a round."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuzhi.ballots import tally
from shuzhi.ballots.models import BallotRoundStatus
from shuzhi.ballots.tests.tally_setup import cast, make_setup

GRADES = ["good", "fair_good", "average", "poor"]
POINTS = {
    "good": Fraction(100),
    "fair_good": Fraction(80),
    "average": Fraction(60),
    "poor": Fraction(0),
}
WEIGHTS = {"leaders": Fraction(6, 10), "public": Fraction(4, 10)}

counts_st = st.fixed_dictionaries({g: st.integers(0, 50) for g in GRADES})


@given(counts_st)
def test_shares_sum_to_one(counts):
    result = tally.shares(counts, GRADES)
    if sum(counts.values()):
        assert sum(result.values()) == 1
    else:
        assert sum(result.values()) == 0


@given(counts_st)
def test_rates_are_ordered(counts):
    good = tally.top_rate(counts, GRADES, 1)
    both = tally.top_rate(counts, GRADES, 2)
    if sum(counts.values()) == 0:
        assert good is None and both is None
    else:
        assert good is not None and both is not None
        assert 0 <= good <= both <= 1


@given(
    st.fixed_dictionaries({c: counts_st for c in WEIGHTS}),
    st.sampled_from(list(WEIGHTS)),
    st.integers(1, 3),
    st.integers(0, 2),
)
def test_a_better_grade_never_lowers_the_score(by_category, category, worse, better):
    """Changing one ballot's grade to a better one never lowers the weighted score."""
    if better >= worse:
        better = worse - 1
    counts = by_category[category]
    if counts[GRADES[worse]] == 0:
        counts = counts | {GRADES[worse]: 1}
        by_category = by_category | {category: counts}

    def score(cats):
        avgs = {c: tally.average_points(n, POINTS) for c, n in cats.items()}
        return tally.weighted_score(avgs, WEIGHTS)[0]

    before = score(by_category)
    changed = dict(counts)
    changed[GRADES[worse]] -= 1
    changed[GRADES[better]] += 1
    after = score(by_category | {category: changed})
    assert after >= before


def test_weighted_score_renormalises_over_present_categories():
    score, renormalised = tally.weighted_score({"leaders": Fraction(80), "public": None}, WEIGHTS)
    assert score == 80 and renormalised
    score, renormalised = tally.weighted_score(
        {"leaders": Fraction(100), "public": Fraction(50)}, WEIGHTS
    )
    assert score == 80 and not renormalised


def test_competition_rank_shares_ties():
    assert tally.competition_rank(
        {"a": Fraction(90), "b": Fraction(95), "c": Fraction(90), "d": Fraction(10), "e": None}
    ) == {"b": 1, "a": 2, "c": 2, "d": 4}


def test_as_decimal_rounds_half_up():
    assert str(tally.as_decimal(Fraction(1, 8), 2)) == "0.13"
    assert tally.percent(Fraction(2, 3)) == "66.67%"


@pytest.mark.smoke
@pytest.mark.django_db
def test_round_tally_counts_rates_score_and_rank(world, django_assert_num_queries):
    s = make_setup(world, min_ballots=1)
    a, b, c = (r.pk for r in s.reporters)
    # leaders: 3 ballots; public: 2 ballots.
    cast(s.ballot_round, "leaders", {a: "good", b: "good", c: "average"})
    cast(s.ballot_round, "leaders", {a: "good", b: "fair_good", c: ""})
    cast(s.ballot_round, "leaders", {a: "fair_good", b: "poor", c: ""})
    cast(s.ballot_round, "public", {a: "average", b: "good", c: ""})
    cast(s.ballot_round, "public", {a: "", b: "good", c: ""})
    with django_assert_num_queries(3):
        result = tally.compute(s.ballot_round)
    assert result.ballots == 5
    assert result.ballots_by_category == {"leaders": 3, "public": 2}
    ra, rb, rc = result.reporters
    assert ra.counts == {"good": 2, "fair_good": 1, "average": 1, "poor": 0}
    assert ra.abstained == 1 and ra.cast == 4
    assert ra.good_rate == Fraction(2, 4) and ra.good_fair_rate == Fraction(3, 4)
    leaders_a, public_a = ra.categories
    assert leaders_a.average == Fraction(280, 3)
    assert public_a.average == 60
    assert ra.score == Fraction(280, 3) * Fraction(6, 10) + 60 * Fraction(4, 10)
    assert sum(ra.shares.values()) == 1
    # b: leaders (100+80+0)/3 = 60, public 100 → 0.6*60 + 0.4*100 = 76
    assert rb.score == 76
    # c rated only by leaders: weights renormalised, score is the leaders' average.
    assert rc.score == 60 and rc.renormalised
    assert result.renormalised and "重新折算" in result.renormalised_note
    assert [r.rank for r in result.reporters] == [1, 2, 3]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_ballots(world, django_assert_num_queries):
    s = make_setup(world, min_ballots=1)
    ids = [r.pk for r in s.reporters]
    for i in range(40):
        cast(
            s.ballot_round,
            ["leaders", "public"][i % 2],
            {rid: GRADES[(i + rid) % 4] for rid in ids},
        )
    with django_assert_num_queries(3):
        result = tally.compute(s.ballot_round)
    assert result.ballots == 40
    assert sum(sum(r.counts.values()) for r in result.reporters) == 120


@pytest.mark.django_db
def test_reporters_below_min_ballots_are_hidden(world):
    s = make_setup(world, min_ballots=3)
    a, b, c = (r.pk for r in s.reporters)
    for _ in range(3):
        cast(s.ballot_round, "leaders", {a: "good", b: "good", c: ""})
    cast(s.ballot_round, "public", {a: "good", b: "", c: "poor"})
    result = tally.compute(s.ballot_round)
    ra, rb, rc = result.reporters
    assert not ra.hidden and ra.rank == 1
    assert not rb.hidden and rb.rank == 1  # tie at 100
    assert rc.hidden and rc.score is None and rc.counts == {} and rc.rank is None
    data = tally.as_json(result)
    hidden = data["reporters"][2]
    assert hidden["hidden"] is True and "counts" not in hidden and "score" not in hidden


@pytest.mark.django_db
def test_results_visibility_follows_status_and_policy(world):
    s = make_setup(world)
    rules = tally.rules_of(s.ballot_round)
    assert not tally.results_visible(s.ballot_round, rules)
    s.ballot_round.policy["show_live_results"] = True
    assert tally.results_visible(s.ballot_round, tally.rules_of(s.ballot_round))
    for status, visible in [
        (BallotRoundStatus.CLOSED, True),
        (BallotRoundStatus.PUBLISHED, True),
        (BallotRoundStatus.VOID, False),
    ]:
        s.ballot_round.status = status
        assert tally.results_visible(s.ballot_round, rules) is visible


@pytest.mark.django_db
def test_reporters_follow_the_snapshot_in_either_shape(world):
    s = make_setup(world)
    first, _, third = s.reporters
    s.ballot_round.reporters = [third.pk, {"id": first.pk, "unit": "", "name": ""}]
    assert tally.snapshot_reporter_ids(s.ballot_round) == [third.pk, first.pk]
    assert [r.pk for r in tally.session_reporters(s.ballot_round)] == [third.pk, first.pk]
