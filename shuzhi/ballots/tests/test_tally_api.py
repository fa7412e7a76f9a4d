"""The tally API: results, progress and exports, with the same rules as the pages."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shuzhi.accounts.models import Role
from shuzhi.ballots.models import BallotRoundStatus
from shuzhi.ballots.tests.tally_setup import cast, issue_codes, make_setup
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db


def api(s, tail):
    return f"/api/ballots/rounds/{s.ballot_round.pk}/{tail}"


@pytest.mark.smoke
def test_tally_after_close_hides_small_samples(world, client):
    s = make_setup(world, min_ballots=2)
    a, b, c = (r.pk for r in s.reporters)
    for c_grade in ("good", ""):  # c: one non-abstaining rating, below the minimum
        cast(s.ballot_round, "leaders", {a: "good", b: "average", c: c_grade})
        cast(s.ballot_round, "public", {a: "fair_good", b: "poor", c: ""})
    client.force_login(world.alice)
    response = client.get(api(s, "tally"))
    assert response.status_code == 403 and "投票结束并公布后" in response.json()["detail"]
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    data = client.get(api(s, "tally")).json()
    assert data["ballots"] == 4
    ra, rb, rc = data["reporters"]
    assert ra["counts"] == {"good": 2, "fair_good": 2, "average": 0, "poor": 0}
    assert ra["good_rate"] == "0.5000" and ra["good_fair_rate"] == "1.0000"
    assert ra["score"] == "92.00" and ra["rank"] == 1
    assert rb["score"] == "36.00" and rb["rank"] == 2
    assert rc == {
        "session_reporter_id": c,
        "position": 3,
        "unit": "荔湾区委",
        "person": "书记3",
        "hidden": True,
    }


def test_no_tally_while_open_even_for_the_organiser(world, client):
    """The live results setting is gone: an open round's tally answers 403 to everyone."""
    s = make_setup(world)
    for _ in range(3):
        cast(s.ballot_round, "leaders", {s.reporters[0].pk: "good"})
    s.ballot_round.policy["show_live_results"] = True  # a snapshot from before: ignored
    s.ballot_round.save()
    for user in (world.alice, world.root):
        client.force_login(user)
        assert client.get(api(s, "tally")).status_code == 403
        assert client.get(api(s, "export.xlsx")).status_code == 403


def test_unpublished_tally_is_the_organisers_alone(world, client):
    s = make_setup(world)
    for _ in range(2):
        cast(s.ballot_round, "leaders", {s.reporters[0].pk: "good"})
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    secretary = make_user("prov-sec", (Role.SECRETARY, world.province))
    client.force_login(secretary)
    for tail in ("tally", "export.xlsx", "result.docx"):
        response = client.get(api(s, tail))
        assert response.status_code == 403 and "尚未公布" in response.json()["detail"], tail
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/export.xlsx").status_code == 403
    client.force_login(world.alice)
    assert client.get(api(s, "tally")).json()["reporters"][0]["score"] == "100.00"
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    client.force_login(secretary)
    assert client.get(api(s, "tally")).json()["reporters"][0]["score"] == "100.00"
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/export.xlsx").status_code == 200


def test_progress(world, client, django_assert_num_queries):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 11, used=3)
    client.force_login(world.alice)
    with django_assert_num_queries(7):
        data = client.get(api(s, "progress")).json()
    assert data["expected"] == 30 and data["present"] == 27 and data["issued"] == 11
    assert data["voted"] == 3
    # While open, no category carries a count of ballots: only the total does.
    leaders = data["categories"][0]
    assert leaders == {
        "code": "leaders",
        "label": "领导班子成员",
        "expected": 10,
        "present": 9,
        "issued": 11,
    }
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    leaders = client.get(api(s, "progress")).json()["categories"][0]
    assert leaders["used_codes"] == 3 and leaders["voted"] == 3 and leaders["paper"] == 0


def test_exports_through_the_api(world, client):
    s = make_setup(world)
    for _ in range(2):
        cast(s.ballot_round, "leaders", {s.reporters[0].pk: "good"})
    client.force_login(world.alice)
    assert client.get(api(s, "export.xlsx")).status_code == 403
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    response = client.get(api(s, "export.xlsx"))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content))["汇总"]["D4"].value == 2
    assert client.get(api(s, "result.docx")).content[:2] == b"PK"


def test_api_permissions(world, client):
    s = make_setup(world)
    assert client.get(api(s, "progress")).status_code == 401
    client.force_login(world.carol)
    assert client.get(api(s, "progress")).status_code == 404
    viewer = make_user("prov-viewer", (Role.VIEWER, world.province))
    client.force_login(viewer)
    assert client.get(api(s, "progress")).status_code == 403
    assert client.get(api(s, "tally")).status_code == 403
    client.force_login(world.alice)
    assert client.get("/api/ballots/rounds/999999/tally").status_code == 404
