"""Test helpers for the tally, hall, paper and export tests: a session with reporters, a
roster and an open ballot round, and ballots cast directly through the ORM."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from shuzhi.ballots.models import OVERALL, Ballot, BallotRound, VoteCode
from shuzhi.cycles import policy
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.meetings.models import RosterCategory, Session, SessionReporter
from shuzhi.orgs.people.models import Person

CATEGORIES: list[dict[str, Any]] = [
    {"code": "leaders", "label": "领导班子成员", "weight": "0.6", "expected": 10, "present": 9},
    {"code": "public", "label": "党员群众代表", "weight": "0.4", "expected": 20, "present": 18},
]


@dataclass
class Setup:
    annual: Round
    session: Session
    ballot_round: BallotRound
    reporters: list[SessionReporter]


def make_setup(world, *, min_ballots: int = 1, sub_items=None) -> Setup:
    """Province hears city A and city B (and county A1) with two voter categories."""
    annual = Round.objects.create(
        host=world.province,
        year=2026,
        title="2026年度基层党建述职评议考核",
        categories=[{k: c[k] for k in ("code", "label", "weight")} for c in CATEGORIES],
        min_ballots=min_ballots,
        sub_items=sub_items or [],
    )
    session = Session.objects.create(
        round=annual,
        title="省委书记抓基层党建述职评议会",
        date=datetime.date(2026, 1, 20),
        place="省委大礼堂",
    )
    reporters = []
    for position, unit in enumerate([world.city_a, world.city_b, world.county_a1], start=1):
        person = Person.objects.create(name=f"书记{position}", unit=unit)
        rr = RoundReporter.objects.create(
            round=annual, unit=unit, person=person, sort_order=position
        )
        reporters.append(
            SessionReporter.objects.create(session=session, reporter=rr, position=position)
        )
    for order, c in enumerate(CATEGORIES):
        RosterCategory.objects.create(
            session=session,
            code=c["code"],
            label=c["label"],
            weight=c["weight"],
            expected=c["expected"],
            present=c["present"],
            sort_order=order,
        )
    ballot_round = BallotRound.objects.create(
        session=session,
        number=1,
        # The shape the round stores when it opens: ``{"id", "unit", "name"}`` per reporter.
        reporters=[
            {
                "id": r.pk,
                "unit": r.reporter.unit.name,
                "name": r.reporter.person.name if r.reporter.person else "",
            }
            for r in reporters
        ],
        policy={
            "scale": policy.default_scale(),
            "categories": annual.categories,
            "sub_items": sub_items or [],
            "min_ballots": min_ballots,
            "quotas": {},
        },
    )
    return Setup(annual, session, ballot_round, reporters)


def cast(
    ballot_round: BallotRound, category: str, grades: dict[int, str], sub_items=()
) -> uuid.UUID:
    """Store one ballot: ``grades`` maps a session reporter id to a grade ('' = abstain); each
    sub-item gets the same grade as the overall rating."""
    items = tuple(sub_items)
    ballot = Ballot.from_rows(
        round_id=ballot_round.pk,
        category=category,
        rows=[(rid, item, grade) for rid, grade in grades.items() for item in (OVERALL, *items)],
    )
    ballot.save(force_insert=True)
    return ballot.id


def issue_codes(ballot_round: BallotRound, category: str, count: int, used: int = 0) -> list[str]:
    codes = []
    for i in range(count):
        code = f"{category[:2].upper()}{ballot_round.pk}{i:04d}{uuid.uuid4().hex[:4]}"[:16]
        VoteCode.objects.create(round=ballot_round, code=code, category=category, used=i < used)
        codes.append(code)
    return codes
