"""The permission matrix, continued: publishing a ballot round (公布结果) and who sees its results
before and after.

Same personas and convention as ``tests/test_permission_matrix.py`` (ok / 403 forbidden /
404 hidden). Each row builds a closed ballot round of a session whose annual round is *hosted
by the row's unit*, so "inside" and "outside" are the host:

- publish (page and API): ``ballot.manage`` on the host;
- the tally of a closed, unpublished round: its organisers (``ballot.manage``) only — a
  secretary, who may read results (``ballot.results``), is refused until publication;
- the tally of a published round: ``ballot.results`` or ``ballot.manage``;
- the hall screen of a closed round: ``ballot.results`` or ``ballot.manage`` — and it shows no
  result to anyone before publication;
- out of sight (no ``round.view`` on the host): 404.

Every publish row also checks the database: the round is published exactly when the row
says ``ok``, and the audit log records it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from shuzhi.ballots import services
from shuzhi.ballots.models import BallotRound, BallotRoundStatus
from shuzhi.ballots.tests.meeting_setup import make_meeting, shares_of
from shuzhi.core.models import AuditEntry
from shuzhi.kernel.roles import ROLE_ACTIONS
from tests.test_permission_matrix import FORBIDDEN, HIDDEN, OK, PERSONAS, STATUS, _api, _web
from tests.test_permission_matrix import stage as stage  # the fixture

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Action:
    channel: str  # "web" or "api"
    call: Callable[..., object]  # (client, ballot round) -> response
    published: bool = False  # publish the round before the call
    write: bool = False


ACTIONS = {
    "ballot.publish.web": Action(
        "web", lambda c, r: c.post(f"/ballots/round/{r.pk}/publish/"), write=True
    ),
    "ballot.publish.api": Action(
        "api", lambda c, r: c.post(f"/api/ballots/rounds/{r.pk}/publish"), write=True
    ),
    "ballot.tally.closed": Action("api", lambda c, r: c.get(f"/api/ballots/rounds/{r.pk}/tally")),
    "ballot.tally.published": Action(
        "api", lambda c, r: c.get(f"/api/ballots/rounds/{r.pk}/tally"), published=True
    ),
    "ballot.hall.closed": Action("web", lambda c, r: c.get(f"/ballots/hall/{r.pk}/live/")),
}

ORGANISER = dict.fromkeys(ACTIONS, OK)
SECRETARY = {
    "ballot.publish.web": FORBIDDEN,
    "ballot.publish.api": FORBIDDEN,
    "ballot.tally.closed": FORBIDDEN,  # may read results, but not before publication
    "ballot.tally.published": OK,
    "ballot.hall.closed": OK,  # the screen, without results
}
READER = dict.fromkeys(ACTIONS, FORBIDDEN)
EXPECTED = {
    "alice": ORGANISER,
    "bob": SECRETARY,
    "carol": READER,
    "dave": READER,
    "erin": {},
    "lena": READER,
    "root": ORGANISER,
}


def _closed_round(world, host) -> BallotRound:
    meeting = make_meeting(world, host=host, reporters=2, expected=(3, 3))
    rnd = services.open_round(actor=world.root, session=meeting.session)
    for n, code in enumerate(services.issue_codes(actor=world.root, ballot_round=rnd)[:6]):
        ratings = {str(r.pk): {"overall": "good"} for r in meeting.reporters}
        services.submit_ballot(code=code.code, nonce=f"n{n}", ratings=ratings)
    # Closed and counted by the supervisors: results exist, publication decides who sees them.
    return services.close_round(actor=world.root, ballot_round=rnd, shares=shares_of(rnd))


def _cases():
    for persona, action in itertools.product(PERSONAS, ACTIONS):
        info, expected = PERSONAS[persona], EXPECTED[persona]
        if info.inside and action in expected:
            yield persona, action, info.inside, expected[action]
        for where in info.outside:
            yield persona, action, where, HIDDEN


CASES = list(_cases())


@pytest.mark.parametrize(
    ("persona", "action", "where", "expected"),
    CASES,
    ids=[f"{p}-{a}-{w}-{e}" for p, a, w, e in CASES],
)
def test_matrix(stage, persona, action, where, expected):
    world, units, _, _ = stage
    rnd = _closed_round(world, units[where])
    spec = ACTIONS[action]
    if spec.published:
        rnd = services.publish_round(actor=world.root, ballot_round=rnd)
    user = getattr(world, persona)
    client = _web(user) if spec.channel == "web" else _api(user)
    response = spec.call(client, rnd)
    status = response.status_code  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    if expected == OK:
        assert status < 400, (status, body[:300])
    else:
        assert status in STATUS[expected], (status, body[:300])
    if action == "ballot.hall.closed" and status < 400:
        assert "hall-results" not in body and "结果公布后显示" in body
    if spec.write:
        published = BallotRound.objects.get(pk=rnd.pk).status == BallotRoundStatus.PUBLISHED
        assert published == (expected == OK)
        logged = AuditEntry.objects.filter(action="ballot.round_publish", object_id=str(rnd.pk))
        assert logged.exists() == (expected == OK)


def test_expectations_agree_with_the_roles_table():
    """Publishing needs ballot.manage; reading published results ballot.results or manage."""
    for persona, info in PERSONAS.items():
        if info.role in (None, "superuser"):
            continue
        actions = ROLE_ACTIONS[info.role]
        manage = "ballot.manage" in actions
        read = manage or "ballot.results" in actions
        expected = EXPECTED[persona]
        assert (expected["ballot.publish.api"] == OK) == manage, persona
        assert (expected["ballot.tally.closed"] == OK) == manage, persona
        assert (expected["ballot.tally.published"] == OK) == read, persona
        assert (expected["ballot.hall.closed"] == OK) == read, persona
