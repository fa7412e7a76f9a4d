"""The tally: pure arithmetic (property tests) and the SQL tally of a round."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuzhi.accounts.models import Role
from shuzhi.ballots import tally
from shuzhi.ballots.models import Ballot, BallotRoundStatus
from shuzhi.ballots.tests.tally_setup import cast, make_setup
from shuzhi.core.testing import make_user

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
    cast(s.ballot_round, "leaders", {a: "good", b: "fair_good", c: "average"})
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
def test_results_visibility_follows_status_and_publication(world):
    """Open: nobody. Closed: the round's organisers only. Published: all who may read."""
    s = make_setup(world)
    province_secretary = make_user("prov-sec", (Role.SECRETARY, world.province))
    expected = {
        BallotRoundStatus.OPEN: (False, False, False),
        BallotRoundStatus.CLOSED: (False, True, False),
        BallotRoundStatus.PUBLISHED: (True, True, True),
        BallotRoundStatus.VOID: (False, False, False),
    }
    for status, (hall, organiser, secretary) in expected.items():
        s.ballot_round.status = status
        assert tally.results_visible(s.ballot_round) is hall, status
        assert tally.results_visible(s.ballot_round, world.alice) is organiser, status
        assert tally.results_visible(s.ballot_round, province_secretary) is secretary, status
    s.ballot_round.status = BallotRoundStatus.CLOSED
    assert "尚未公布" in tally.results_refusal(s.ballot_round, province_secretary)
    s.ballot_round.status = BallotRoundStatus.OPEN
    assert "投票结束并公布后" in tally.results_refusal(s.ballot_round, world.alice)


@pytest.mark.django_db
def test_a_category_below_the_minimum_enters_no_figure(world):
    """The lone voter of a category: whatever they voted, every figure stays the same."""
    s = make_setup(world, min_ballots=2)
    a, b, c = (r.pk for r in s.reporters)
    cast(s.ballot_round, "leaders", {a: "good", b: "fair_good", c: "average"})
    cast(s.ballot_round, "leaders", {a: "fair_good", b: "fair_good", c: "good"})
    lone = cast(s.ballot_round, "public", {a: "poor", b: "poor", c: "poor"})
    first = tally.compute(s.ballot_round)
    ra = first.reporters[0]
    assert ra.counts == {"good": 1, "fair_good": 1, "average": 0, "poor": 0}
    assert ra.score == Fraction(90) and ra.renormalised  # the leaders' average alone
    assert [c.hidden for c in ra.categories] == [False, True]
    assert first.small_categories == ["党员群众代表"] and "不计入" in first.small_note
    assert first.ballots == 3  # still counted as cast
    Ballot.objects.filter(pk=lone).update(ratings={str(a): "good", str(b): "good", str(c): ""})
    second = tally.as_json(tally.compute(s.ballot_round))
    assert second == tally.as_json(first)


@pytest.mark.django_db
def test_the_site_floor_overrides_a_lower_round_minimum(world, settings):
    """A round opened with 结果显示最少票数 1 still hides fewer ballots than the floor."""
    settings.SHUZHI_BALLOT_MIN_FLOOR = 5
    s = make_setup(world, min_ballots=1)
    a = s.reporters[0].pk
    for _ in range(4):
        cast(s.ballot_round, "leaders", {a: "good"})
    result = tally.compute(s.ballot_round)
    assert result.rules.min_ballots == 5
    assert all(r.hidden for r in result.reporters)
    assert result.small_categories == ["领导班子成员"]
    cast(s.ballot_round, "leaders", {a: "good"})
    assert not tally.compute(s.ballot_round).reporters[0].hidden


@pytest.mark.django_db
def test_reporters_follow_the_snapshot_in_either_shape(world):
    s = make_setup(world)
    first, _, third = s.reporters
    s.ballot_round.reporters = [third.pk, {"id": first.pk, "unit": "", "name": ""}]
    assert tally.snapshot_reporter_ids(s.ballot_round) == [third.pk, first.pk]
    assert [r.pk for r in tally.session_reporters(s.ballot_round)] == [third.pk, first.pk]
