"""One refusal convention for every page of a ballot round (docs/permissions.md, "404 or 403").

A ballot round is *seen* through its session: whoever has ``round.view`` on the host unit sees
the session in the meetings pages. So a round outside that sight (or no such round) answers
404, and a round in sight whose pages need an action the role lacks (``ballot.manage`` or
``ballot.results``) answers 403: the hall screen, its live fragment, slips, paper ballots,
exports and the console alike.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.accounts.models import Role
from shuzhi.ballots.tests.tally_setup import make_setup
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db


def round_pages(s) -> list[str]:
    pk = s.ballot_round.pk
    return [
        f"/ballots/hall/{pk}/",
        f"/ballots/hall/{pk}/live/",
        f"/ballots/round/{pk}/slips.pdf",
        f"/ballots/round/{pk}/paper/",
        f"/ballots/round/{pk}/export.xlsx",
        f"/ballots/round/{pk}/result.docx",
    ]


def console_page(s) -> str:
    return f"/ballots/session/{s.ballot_round.session.pk}/"


@pytest.mark.smoke
@pytest.mark.parametrize("persona", ["bob", "carol", "dave", "erin"])
def test_round_out_of_sight_is_404_on_every_page(world, client, persona):
    s = make_setup(world)  # hosted by the province, which none of these may see
    client.force_login(getattr(world, persona))
    for url in [*round_pages(s), console_page(s)]:
        assert client.get(url).status_code == 404, url


def test_missing_round_is_404_on_the_hall_screen(world, client):
    client.force_login(world.alice)
    assert client.get("/ballots/hall/999999/").status_code == 404
    assert client.get("/ballots/hall/999999/live/").status_code == 404


@pytest.mark.smoke
def test_round_in_sight_without_the_action_is_403_on_the_hall_screen(world, client):
    s = make_setup(world)
    viewer = make_user("prov-viewer", (Role.VIEWER, world.province))  # round.view, no ballot.*
    client.force_login(viewer)
    # The premise: the viewer sees the session itself.
    assert (
        client.get(reverse("session_detail", args=[s.ballot_round.session.pk])).status_code == 200
    )
    for url in round_pages(s):
        assert client.get(url).status_code == 403, url


def test_console_agrees_with_the_hall_screen_for_a_round_in_sight(world, client):
    s = make_setup(world)
    viewer = make_user("prov-viewer", (Role.VIEWER, world.province))
    client.force_login(viewer)
    assert client.get(f"/ballots/hall/{s.ballot_round.pk}/").status_code == 403
    assert client.get(console_page(s)).status_code == 403
