"""Anonymity against the room: someone who watches the hall screen, the console or the API
after each vote learns only that one more ballot was cast — not its category, not its grades.

See docs/decisions/0004-ballot-anonymity.md ("What the hall and the console show").
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from shuzhi.accounts.models import Role
from shuzhi.ballots import services
from shuzhi.ballots.tests.meeting_setup import make_meeting, shares_of
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db

# The voters, in the order they vote: their category and the grade they give everyone.
VOTERS = [
    ("leaders", "good"),
    ("members", "poor"),
    ("members", "fair_good"),
    ("leaders", "average"),
    ("members", "good"),
    ("leaders", "poor"),
]
# The CSRF token is masked afresh on every page.
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


def _views(client, rnd, session_id: int, cast: int) -> dict[str, Any]:
    """Everything an organiser's screens and APIs show about the open round, with the one
    figure allowed to change — the total cast — taken out."""
    hall = client.get(f"/ballots/hall/{rnd.pk}/live/").content.decode()
    assert f'id="hall-total-voted">{cast}<' in hall
    console = CSRF.sub("TOKEN", client.get(f"/ballots/session/{session_id}/").content.decode())
    assert f"已投 <strong>{cast}</strong> 票" in console and f"已用 {cast}<" in console
    progress = client.get(f"/api/ballots/rounds/{rnd.pk}/progress").json()
    assert progress["voted"] == cast
    detail = client.get(f"/api/ballots/rounds/{rnd.pk}").json()
    assert detail["ballots"] == cast
    tally = client.get(f"/api/ballots/rounds/{rnd.pk}/tally")
    export = client.get(f"/ballots/round/{rnd.pk}/export.xlsx")
    return {
        "hall": hall.replace(f'id="hall-total-voted">{cast}<', "TOTAL"),
        "console": console.replace(f"已投 <strong>{cast}</strong> 票", "TOTAL").replace(
            f"已用 {cast}<", "USED<"
        ),
        "progress": {**progress, "voted": "TOTAL"},
        "detail": {**detail, "ballots": "TOTAL"},
        "tally": (tally.status_code, tally.content),
        "export": (export.status_code, export.content),
    }


@pytest.mark.smoke
def test_watching_the_hall_after_each_vote_recovers_nothing(world, client):
    meeting = make_meeting(world, reporters=3, expected=(3, 3))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)
    by_category: dict[str, list[str]] = {}
    for code in codes:
        by_category.setdefault(code.category, []).append(code.code)
    client.force_login(world.alice)
    before = _views(client, rnd, meeting.session.pk, 0)
    assert before["tally"][0] == 403 and before["export"][0] == 403
    for n, (category, grade) in enumerate(VOTERS, start=1):
        ratings = {str(r.pk): {"overall": grade} for r in meeting.reporters}
        services.submit_ballot(code=by_category[category].pop(), nonce=f"n{n}", ratings=ratings)
        after = _views(client, rnd, meeting.session.pk, n)
        for name, view in before.items():
            assert after[name] == view, f"after vote {n} the {name} changed beyond the total"
    # The province's secretary, who may read results, watches the same screen: no more.
    client.force_login(make_user("prov-sec", (Role.SECRETARY, world.province)))
    hall = client.get(f"/ballots/hall/{rnd.pk}/live/").content.decode()
    assert hall.replace('id="hall-total-voted">6<', "TOTAL") == before["hall"]


def test_closed_round_shows_nothing_on_the_hall_until_published(world, client):
    meeting = make_meeting(world, reporters=3, expected=(3, 3))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)
    for n, code in enumerate(codes):
        ratings = {str(r.pk): {"overall": "good"} for r in meeting.reporters}
        services.submit_ballot(code=code.code, nonce=f"n{n}", ratings=ratings)
    # Closed and counted by the supervisors, not yet published.
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    client.force_login(world.alice)
    hall = client.get(f"/ballots/hall/{rnd.pk}/live/").content.decode()
    assert "hall-results" not in hall and "100.00%" not in hall
    assert all(r.reporter.unit.name not in hall for r in meeting.reporters)
    assert client.get(f"/api/ballots/rounds/{rnd.pk}/tally").status_code == 200  # organiser
    services.publish_round(actor=world.alice, ballot_round=rnd)
    hall = client.get(f"/ballots/hall/{rnd.pk}/live/").content.decode()
    assert "hall-results" in hall and meeting.reporters[0].reporter.unit.name in hall
