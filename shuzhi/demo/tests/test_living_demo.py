"""The demo reads like a province, not a template: problem counts per unit spread from none to
fifteen, the sources, severities and outcomes vary, 整改成效 differs between cities, and the
2025 meeting's ballots came in through the phones' intake and were counted and published.
Loaded on a small tree (the whole chain the ``seed_demo`` command runs)."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest

from shuzhi.assessment.demo import seed_assessment_demo
from shuzhi.assessment.grading.models import GradeRow
from shuzhi.ballots import services as ballot_services
from shuzhi.ballots import vote_views
from shuzhi.ballots.models import Ballot, BallotRound, BallotRoundStatus, VoteCode
from shuzhi.core.models import AuditEntry
from shuzhi.cycles.models import Round
from shuzhi.demo import spread
from shuzhi.demo.ledger import seed_ledger_demo
from shuzhi.demo.voting import vote_on_phones
from shuzhi.meetings.demo import seed_round_demo
from shuzhi.meetings.models import SessionStatus
from shuzhi.orgs import demo as org_demo
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification.models import Problem, ProblemStatus, ProblemTransition

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    """Seed the chain; count the calls of the phones' intake (the real functions still run)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    calls: Counter[str] = Counter()
    submit, read = ballot_services.submit_ballot, vote_views.ratings_from_fields

    def counted_submit(**kwargs):
        calls["submit"] += 1
        return submit(**kwargs)

    def counted_read(fields):
        calls["fields"] += 1
        return read(fields)

    monkeypatch.setattr(ballot_services, "submit_ballot", counted_submit)
    monkeypatch.setattr(vote_views, "ratings_from_fields", counted_read)
    org_demo.seed(scale=0.05)
    seed_round_demo(during_2025_meeting=vote_on_phones)
    seed_ledger_demo()
    seed_assessment_demo(io.StringIO())
    return calls


@pytest.mark.smoke
def test_problems_spread_like_a_real_year(demo):
    problems = Problem.objects.exclude(source__code="carried")
    per_unit = Counter(problems.values_list("unit_id", "year"))
    assert max(per_unit.values()) <= spread.MAX_PER_UNIT
    # Every (unit, year) with any item, carried ones included, stays within fifteen.
    with_carried = Counter(Problem.objects.values_list("unit_id", "year"))
    assert max(with_carried.values()) <= spread.MAX_PER_UNIT
    assert len(set(per_unit.values())) >= 4  # not the same number everywhere

    # Some units of the ledger have none: counties the demo covers that nothing was found in.
    ledger_units = set(Problem.objects.values_list("unit__parent_id", flat=True))
    covered = Unit.objects.filter(parent_id__in=ledger_units, type__code="county")
    untouched = covered.exclude(pk__in=Problem.objects.values("unit_id"))
    assert untouched.exists()

    sources = set(problems.values_list("source__code", flat=True))
    assert len(sources - {"critique", "carried"}) >= 4
    assert len(set(problems.values_list("severity", flat=True))) == 3
    # No boilerplate: most descriptions are told apart.
    descriptions = list(problems.values_list("description", flat=True))
    assert len(set(descriptions)) > len(descriptions) * 2 // 3


def test_outcomes_vary_and_so_does_rectification_per_city(demo):
    closed = Problem.objects.filter(status=ProblemStatus.CLOSED)
    on_time = [p for p in closed if p.verified_on and p.verified_on <= p.deadline]
    late = [p for p in closed if p.verified_on and p.verified_on > p.deadline]
    sent_back = ProblemTransition.objects.filter(
        from_status=ProblemStatus.SUBMITTED, to_status=ProblemStatus.IN_PROGRESS
    ).values("problem")
    reopened = Problem.objects.filter(pk__in=sent_back).exclude(status=ProblemStatus.CLOSED)
    overdue = Problem.objects.filter(year=2026).overdue(datetime.date(2026, 11, 27))
    outcomes = {
        "closed on time": bool(on_time),
        "closed late": bool(late),
        "reopened": reopened.exists(),
        "overdue": overdue.exists(),
        "long term": Problem.objects.filter(status=ProblemStatus.LONG_TERM).exists(),
        "submitted": Problem.objects.filter(status=ProblemStatus.SUBMITTED).exists(),
    }
    assert sum(outcomes.values()) >= 5, outcomes

    rnd = Round.objects.get(host__code=org_demo.PROVINCE_CODE, year=2025)
    values = [
        row.components["rectification"]["value"]
        for row in GradeRow.objects.filter(grading__round=rnd, is_current=True)
    ]
    assert len(values) >= 2 and len(set(values)) >= min(3, len(values)), values


def test_the_2025_meeting_voted_on_the_phones(demo):
    rnd = Round.objects.get(host__code=org_demo.PROVINCE_CODE, year=2025)
    ballot_round = BallotRound.objects.get(session__round=rnd, is_test=False)
    session = ballot_round.session
    assert session.status == SessionStatus.CLOSED
    assert ballot_round.status == BallotRoundStatus.PUBLISHED
    # Sealed as cast, opened by two of the three supervisors' shares: counted.
    assert ballot_round.seal_threshold == 2 and not ballot_round.sealed
    ballots = Ballot.objects.filter(round=ballot_round).count()
    present = sum(c.present for c in session.categories.all())
    assert ballots == present > 0
    # Every ballot came through the intake the /v/<code>/ form posts to, one per used code.
    assert demo["submit"] == demo["fields"] == ballots
    assert VoteCode.objects.filter(round=ballot_round, used=True).count() == ballots
    # Opened by the service (which audits the opening and starts the meeting), then counted.
    opened = AuditEntry.objects.get(action="ballot.round_open")
    assert "supervisors" in opened.changes
    assert ballot_round.opened_at is not None
    assert ballot_round.opened_at.date().isoformat() == "2025-12-22"
    rows = GradeRow.objects.filter(grading__round=rnd, is_current=True)
    assert rows and all(row.components["ballot_score"]["value"] is not None for row in rows)
