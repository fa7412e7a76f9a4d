"""The hall screen: access, live counts, htmx polling, results only after close."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.ballots.models import BallotRoundStatus, PaperEntry
from shuzhi.ballots.tests.tally_setup import cast, issue_codes, make_setup
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db


def url(s, live=False):
    return f"/ballots/hall/{s.ballot_round.pk}/" + ("live/" if live else "")


@pytest.mark.smoke
def test_hall_screen_shows_counts_and_polls_every_two_seconds(world, client):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 12, used=4)
    issue_codes(s.ballot_round, "public", 22, used=7)
    PaperEntry.objects.create(
        round=s.ballot_round, sheet=1, clerk=1, category="public", counted=True
    )
    PaperEntry.objects.create(
        round=s.ballot_round, sheet=1, clerk=2, category="public", counted=True
    )
    PaperEntry.objects.create(round=s.ballot_round, sheet=2, clerk=1, category="public")
    client.force_login(world.alice)
    response = client.get(url(s))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="/ballots/hall/{s.ballot_round.pk}/live/"' in html
    assert s.session.title in html
    assert "<script>" not in html  # CSP: no inline scripts
    body = client.get(url(s, live=True)).content.decode()
    assert '<td class="hall-voted">4</td>' in body  # leaders: 4 used codes
    assert '<td class="hall-voted">8</td>' in body  # public: 7 codes + 1 counted sheet
    assert 'id="hall-total-voted">12<' in body
    assert "<td>10</td><td>9</td>" in body  # 应到 / 实到 of the leaders
    assert "投票结束后显示结果" in body and "hall-results" not in body


def test_fragment_query_count_is_pinned(world, client, django_assert_num_queries):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 30, used=20)
    client.force_login(world.alice)
    # session, user, grants, round, roster, codes, paper
    with django_assert_num_queries(7):
        assert client.get(url(s, live=True)).status_code == 200
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    # + the tally's three queries once results show
    with django_assert_num_queries(10):
        assert "hall-results" in client.get(url(s, live=True)).content.decode()


def test_fragment_with_sub_items_costs_no_extra_query(world, client, django_assert_num_queries):
    s = make_setup(world, min_ballots=1, sub_items=[{"code": "duty", "label": "履行责任"}])
    issue_codes(s.ballot_round, "leaders", 30, used=2)
    for _ in range(2):
        cast(s.ballot_round, "leaders", {r.pk: "good" for r in s.reporters}, sub_items=["duty"])
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    client.force_login(world.alice)
    # the same ten: the sub-items come with the tally's grouped counts
    with django_assert_num_queries(10):
        body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" in body


def test_results_show_after_close_or_when_live_policy(world, client):
    s = make_setup(world, min_ballots=2)
    a, b, c = (r.pk for r in s.reporters)
    cast(s.ballot_round, "leaders", {a: "good", b: "average", c: "good"})
    cast(s.ballot_round, "public", {a: "good", b: "poor", c: ""})
    client.force_login(world.alice)
    assert "hall-results" not in client.get(url(s, live=True)).content.decode()
    s.ballot_round.policy["show_live_results"] = True
    s.ballot_round.save()
    body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" in body and "100.00%" in body
    assert "有效票不足 2 张" in body  # c has one non-abstaining rating
    s.ballot_round.status = BallotRoundStatus.VOID
    s.ballot_round.void_reason = "收回票数多于发出票数，本轮无效"
    s.ballot_round.save()
    body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" not in body and "本轮已作废" in body


def test_hall_access(world, client):
    s = make_setup(world)
    client.force_login(world.bob)  # secretary of city A: ballot.results not on the province
    assert client.get(url(s)).status_code == 404
    client.force_login(world.erin)
    assert client.get(url(s)).status_code == 404
    viewer = make_user("viewer", (Role.VIEWER, world.province))
    client.force_login(viewer)
    assert client.get(url(s)).status_code == 403
    sec = make_user("prov-sec", (Role.SECRETARY, world.province))
    client.force_login(sec)
    assert client.get(url(s, live=True)).status_code == 200
    client.logout()
    assert client.get(url(s)).status_code == 302
    assert client.get("/ballots/hall/999999/").status_code == 302
    client.force_login(world.alice)
    assert client.get("/ballots/hall/999999/").status_code == 404
