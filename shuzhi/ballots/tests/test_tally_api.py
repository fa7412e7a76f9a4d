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
    cast(s.ballot_round, "leaders", {a: "good", b: "average", c: "good"})
    cast(s.ballot_round, "public", {a: "fair_good", b: "poor", c: ""})
    client.force_login(world.alice)
    response = client.get(api(s, "tally"))
    assert response.status_code == 403 and "投票结束后" in response.json()["detail"]
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    data = client.get(api(s, "tally")).json()
    assert data["ballots"] == 2
    ra, rb, rc = data["reporters"]
    assert ra["counts"] == {"good": 1, "fair_good": 1, "average": 0, "poor": 0}
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


def test_live_tally_when_policy_allows(world, client):
    s = make_setup(world, show_live=True)
    cast(s.ballot_round, "leaders", {s.reporters[0].pk: "good"})
    client.force_login(world.alice)
    assert client.get(api(s, "tally")).json()["reporters"][0]["score"] == "100.00"


def test_progress(world, client, django_assert_num_queries):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 11, used=3)
    client.force_login(world.alice)
    with django_assert_num_queries(7):
        data = client.get(api(s, "progress")).json()
    assert data["expected"] == 30 and data["present"] == 27 and data["issued"] == 11
    leaders = data["categories"][0]
    assert leaders == {
        "code": "leaders",
        "label": "领导班子成员",
        "expected": 10,
        "present": 9,
        "issued": 11,
        "used_codes": 3,
        "paper": 0,
        "voted": 3,
    }


def test_exports_through_the_api(world, client):
    s = make_setup(world)
    cast(s.ballot_round, "leaders", {s.reporters[0].pk: "good"})
    client.force_login(world.alice)
    assert client.get(api(s, "export.xlsx")).status_code == 403
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    response = client.get(api(s, "export.xlsx"))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content))["汇总"]["D4"].value == 1
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
