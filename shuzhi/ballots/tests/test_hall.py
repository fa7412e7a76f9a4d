"""The hall screen: access, the total cast while open, htmx polling, results only once published."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.ballots.models import Ballot, BallotRoundStatus, PaperEntry
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
    assert "/static/shuzhi/hall.js" in html and "/static/shuzhi/favicon.svg" in html
    assert 'id="hall-fullscreen"' in html
    assert "http://" not in html.replace("http://testserver", "")  # nothing from outside
    body = client.get(url(s, live=True)).content.decode()
    assert 'id="hall-total-voted">12<' in body  # 4 + 7 codes + 1 counted sheet
    assert "实到 27" in body
    assert "<td>10</td><td>9</td></tr>" in body  # 应到 / 实到 of the leaders, nothing more
    # No count per category while voting: 4 (leaders) and 8 (public) appear nowhere.
    assert ">4<" not in body and ">8<" not in body and "hall-voted" not in body
    assert "结果公布后显示" in body and "hall-results" not in body


def test_fragment_query_count_is_pinned(world, client, django_assert_num_queries):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 30, used=20)
    client.force_login(world.alice)
    # session, user, grants, round, roster, codes, paper
    with django_assert_num_queries(7):
        assert client.get(url(s, live=True)).status_code == 200
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    with django_assert_num_queries(7):  # closed, not yet published: still no tally
        assert "hall-results" not in client.get(url(s, live=True)).content.decode()
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    # + the tally's three queries once results show; 286 tells htmx to stop polling
    with django_assert_num_queries(10):
        response = client.get(url(s, live=True))
    assert response.status_code == 286 and "hall-results" in response.content.decode()


def test_fragment_with_sub_items_costs_no_extra_query(world, client, django_assert_num_queries):
    s = make_setup(world, min_ballots=1, sub_items=[{"code": "duty", "label": "履行责任"}])
    issue_codes(s.ballot_round, "leaders", 30, used=2)
    for _ in range(2):
        cast(s.ballot_round, "leaders", {r.pk: "good" for r in s.reporters}, sub_items=["duty"])
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    client.force_login(world.alice)
    # the same ten: the sub-items come with the tally's grouped counts
    with django_assert_num_queries(10):
        body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" in body


def test_results_show_only_once_published(world, client):
    s = make_setup(world, min_ballots=2)
    a, b, c = (r.pk for r in s.reporters)
    for _ in range(2):
        cast(s.ballot_round, "leaders", {a: "good", b: "average", c: "good"})
        cast(s.ballot_round, "public", {a: "good", b: "poor", c: ""})
    cast(s.ballot_round, "public", {a: "", b: "", c: "poor"})
    client.force_login(world.alice)
    body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" not in body and "投票进行中" in body
    # Closed: the organiser checks the tally in the console and the API; the hall waits.
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    for user in (world.alice, make_user("prov-sec", (Role.SECRETARY, world.province))):
        client.force_login(user)
        body = client.get(url(s, live=True)).content.decode()
        assert "hall-results" not in body and "100.00%" not in body
        assert "投票已结束，结果公布后显示" in body
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" in body and "100.00%" in body and "结果已公布" in body
    assert "有效票不足 2 张" not in body  # c: two leaders' ratings and one public one
    s.ballot_round.status = BallotRoundStatus.VOID
    s.ballot_round.void_reason = "收回票数多于发出票数，本轮无效"
    s.ballot_round.save()
    body = client.get(url(s, live=True)).content.decode()
    assert "hall-results" not in body and "本轮已作废" in body


def test_a_small_category_is_left_out_on_the_hall(world, client):
    """One public voter: the hall's published figures are those of the leaders alone."""
    s = make_setup(world, min_ballots=2)
    a, b, c = (r.pk for r in s.reporters)
    for _ in range(2):
        cast(s.ballot_round, "leaders", {a: "good", b: "average", c: ""})
    lone = cast(s.ballot_round, "public", {a: "poor", b: "poor", c: "poor"})
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    client.force_login(world.alice)
    first = client.get(url(s, live=True)).content.decode()
    assert "党员群众代表的选票不足 2 张" in first
    assert "<td>100.00%</td>" in first  # a: the two leaders' 好 only
    assert "有效票不足 2 张，不显示结果" in first  # c: rated by the lone voter only
    Ballot.objects.filter(pk=lone).update(ratings={str(a): "good", str(b): "good"})
    assert client.get(url(s, live=True)).content.decode() == first


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
