"""Build a round, a session with reporters and a voter roster directly (tests only)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from shuzhi.ballots import counting, sealing
from shuzhi.ballots.models import SealedBallot
from shuzhi.core.testing import World, make_unit
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.meetings.models import RosterCategory, Session, SessionReporter
from shuzhi.orgs.people.models import Person


@dataclass
class Meeting:
    round: Round
    session: Session
    reporters: list[SessionReporter]
    categories: list[RosterCategory]


def make_meeting(
    world: World,
    *,
    reporters: int = 3,
    expected: tuple[int, ...] = (6, 4),
    present: tuple[int, ...] | None = None,
    host=None,
    year: int = 2026,
    **round_fields,
) -> Meeting:
    """A session of ``host`` (the province) with ``reporters`` reporting units and categories
    ``leaders`` / ``members`` (and more if ``expected`` is longer)."""
    host = host or world.province
    rnd = Round.objects.create(host=host, year=year, title=f"{year}年度述职评议", **round_fields)
    session = Session.objects.create(
        round=rnd, title="述职评议会", date=datetime.date(year, 12, 20)
    )
    rows = []
    for i in range(reporters):
        unit = make_unit(f"R{year}{host.pk}{i:03d}", f"第{i + 1}党委", "county", host)
        person = Person.objects.create(name=f"书记{i + 1}", unit=unit)
        rr = RoundReporter.objects.create(round=rnd, unit=unit, person=person, sort_order=i)
        rows.append(SessionReporter.objects.create(session=session, reporter=rr, position=i + 1))
    codes = ["leaders", "members", "deputies", "secretaries", "public"]
    present = present if present is not None else expected
    categories = [
        RosterCategory.objects.create(
            session=session,
            code=codes[i],
            label=["领导班子成员", "委员", "两代表一委员", "基层党组织书记", "党员群众代表"][i],
            weight="0.5" if len(expected) == 2 else "0",
            expected=n,
            present=present[i],
            sort_order=i,
        )
        for i, n in enumerate(expected)
    ]
    return Meeting(round=rnd, session=session, reporters=rows, categories=categories)


def full_ballot(meeting_or_round, grade: str = "good") -> dict:
    """Ratings giving every reporter ``grade`` overall."""
    reporters = (
        meeting_or_round.reporters
        if isinstance(meeting_or_round.reporters, list)
        and meeting_or_round.reporters
        and isinstance(meeting_or_round.reporters[0], dict)
        else [{"id": r.pk} for r in meeting_or_round.reporters]
    )
    return {str(r["id"]): {"overall": grade} for r in reporters}


def shares_of(ballot_round) -> list[str]:
    """The supervisors' shares of a round just opened by ``services.open_round`` (the returned
    object carries them; nothing else does)."""
    return [s.share for s in ballot_round.shares]


def sealed_contents(ballot_round, shares: list[str]) -> list[dict]:
    """The contents of a round's sealed ballots, opened in memory with ``shares`` (the round
    stays as it is): ``{"r": ratings, "i": items, "c": comments}`` each."""
    opener = sealing.opener(counting.rebuild_key(ballot_round, shares))
    return [
        json.loads(sealing.unseal(opener, box))
        for box in SealedBallot.objects.filter(round=ballot_round).values_list("box", flat=True)
    ]
