"""The demo's 2025 grading, loaded on a small tree after the rounds and the ledger: closed
ballots, a published city set with a derived county set, every city scored with two approved
加减分, and a computed grading with a suggestion for every city, left unconfirmed; idempotent."""

from __future__ import annotations

import io
import time

import pytest

from shuzhi.assessment.demo import CITY_ITEMS, DISQUALIFIER, seed_assessment_demo
from shuzhi.assessment.grading.models import GradeRow, Grading, GradingStatus
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentStatus,
    AnnualScore,
    IndicatorSet,
    ItemKind,
    SetStatus,
)
from shuzhi.assessment.results.models import ConsequenceRule
from shuzhi.ballots.models import Ballot, BallotRound, BallotRoundStatus
from shuzhi.core.models import AuditEntry
from shuzhi.cycles.models import Round
from shuzhi.demo.ledger import seed_ledger_demo
from shuzhi.demo.voting import vote_on_phones
from shuzhi.meetings.demo import seed_round_demo
from shuzhi.orgs import demo as org_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    org_demo.seed(scale=0.05)
    seed_round_demo(during_2025_meeting=vote_on_phones)
    seed_ledger_demo()
    out = io.StringIO()
    started = time.monotonic()
    result = seed_assessment_demo(out)
    return result, out.getvalue(), time.monotonic() - started


def test_demo_grades_the_2025_round(demo):
    result, output, elapsed = demo
    assert result is not None and "已载入演示考核评定" in output
    rnd = Round.objects.get(host__code=org_demo.PROVINCE_CODE, year=2025)
    reporters = list(rnd.reporters.all())
    assert len(reporters) >= 2

    # The session's formal ballots, closed and published, one per voter present.
    ballot_round = BallotRound.objects.get(session__round=rnd)
    assert ballot_round.status == BallotRoundStatus.PUBLISHED and not ballot_round.is_test
    present = sum(c.present for c in ballot_round.session.categories.all())
    assert Ballot.objects.filter(round=ballot_round).count() == result.ballots == present > 0

    # The province's city set: ten outcome items, 100 points, published; a derived county set.
    city_set = IndicatorSet.objects.get(host=rnd.host, year=2025, assessed_type__code="city")
    assert city_set.status == SetStatus.PUBLISHED
    items = list(city_set.items.all())
    assert len(items) == len(CITY_ITEMS) and {i.kind for i in items} == {ItemKind.OUTCOME}
    assert sum(i.max_points for i in items) == 100
    derived = IndicatorSet.objects.get(parent_set__isnull=False)
    assert derived.status == SetStatus.PUBLISHED
    assert derived.parent_set is not None
    assert derived.host == reporters[0].unit and derived.parent_set.host == rnd.host
    assert derived.items.count() < derived.parent_set.items.count()

    # Every city scored on every item; two adjustments approved by someone else.
    scores = AnnualScore.objects.filter(set=city_set)
    assert {s.unit_id for s in scores} == {r.unit_id for r in reporters}
    for annual in scores:
        assert annual.items.filter(host_points__isnull=False).count() == len(items)
    adjustments = Adjustment.objects.filter(annual__set=city_set)
    assert adjustments.count() == 2
    assert all(
        a.status == AdjustmentStatus.APPROVED and a.approver_id != a.requested_by_id
        for a in adjustments
    )
    assert ConsequenceRule.objects.filter(host=rnd.host).count() == len(rnd.scale)

    # A grading with a suggestion for every city, computed but not confirmed.
    grading = Grading.objects.get(round=rnd)
    assert grading.status == GradingStatus.SUGGESTED
    rows = GradeRow.objects.filter(grading=grading, is_current=True)
    assert {r.reporter_id for r in rows} == {r.pk for r in reporters}
    codes = {s["code"] for s in rnd.scale}
    for row in rows:
        assert row.suggested in codes and row.composite is not None, row.derivation
        assert set(row.components) >= {"annual_score", "ballot_score", "rectification"}
    # A disqualified row, if any, is never suggested the best grade.
    for row in rows:
        if DISQUALIFIER["code"] in row.disqualifiers:
            assert row.suggested != rnd.scale[0]["code"]
    assert AuditEntry.objects.filter(action="grading.compute").count() == 1
    assert elapsed < 15

    # Idempotent: a second run writes nothing.
    counts = (BallotRound.objects.count(), IndicatorSet.objects.count(), GradeRow.objects.count())
    out = io.StringIO()
    assert seed_assessment_demo(out) is None and "跳过" in out.getvalue()
    assert counts == (
        BallotRound.objects.count(),
        IndicatorSet.objects.count(),
        GradeRow.objects.count(),
    )
