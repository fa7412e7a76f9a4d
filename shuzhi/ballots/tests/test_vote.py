"""The voter's API and phone pages: success, retries and every refusal, storing nothing."""

from __future__ import annotations

import json

import pytest

from shuzhi.ballots import services
from shuzhi.ballots.models import BallotComment, BallotEntry, SealedBallot, VoteCode
from shuzhi.ballots.tests.meeting_setup import (
    full_ballot,
    make_meeting,
    sealed_contents,
    shares_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(world):
    meeting = make_meeting(world, reporters=3, quotas={"good": 2})
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd)
    return meeting, rnd, codes


def ok_ballot(rnd):
    ratings = full_ballot(rnd, "fair_good")
    ratings[str(rnd.reporters[0]["id"])] = {"overall": "good"}
    return ratings


def post(client, code, payload, **extra):
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return client.post(f"/api/vote/{code}", body, content_type="application/json", **extra)


# --- API -----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_api_cast_and_retry(client, hall):
    _meeting, rnd, codes = hall
    payload = {"nonce": "abc", "ratings": ok_ballot(rnd), "comments": {}}
    first = post(client, codes[0].code, payload)
    assert first.status_code == 200
    receipt = first.json()["receipt"]
    again = post(client, codes[0].code, payload)
    assert again.status_code == 200 and again.json()["receipt"] == receipt
    other = post(client, codes[0].code, {**payload, "nonce": "xyz"})
    assert other.status_code == 409 and other.json()["detail"] == "该投票码已使用。"
    assert SealedBallot.objects.count() == 1
    assert [len(c["r"]) for c in sealed_contents(rnd, shares_of(rnd))] == [3]


def test_api_form_definition(client, hall):
    meeting, _rnd, codes = hall
    response = client.get(f"/api/vote/{codes[0].code}")
    assert response.status_code == 200
    data = response.json()
    assert [r["id"] for r in data["reporters"]] == [r.pk for r in meeting.reporters]
    assert [s["code"] for s in data["scale"]] == ["good", "fair_good", "average", "poor"]
    assert "points" not in data["scale"][0]
    assert data["quotas"] == {"good": 2}
    assert set(data) == {
        "round",
        "is_test",
        "reporters",
        "scale",
        "sub_items",
        "quotas",
        "allow_abstain",
        "comment_max_length",
    }
    assert client.get("/api/vote/NOSUCHCD").status_code == 404


def test_api_unknown_code_404(client, hall):
    _meeting, rnd, _codes = hall
    response = post(client, "ZZZZZZZZ", {"nonce": "a", "ratings": ok_ballot(rnd)})
    assert response.status_code == 404
    assert not SealedBallot.objects.exists()


def test_api_closed_round_409(client, world, hall):
    _meeting, rnd, codes = hall
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    response = post(client, codes[0].code, {"nonce": "a", "ratings": ok_ballot(rnd)})
    assert response.status_code == 409 and response.json()["detail"] == "本轮投票已结束。"
    assert client.get(f"/api/vote/{codes[0].code}").status_code == 409


def test_api_field_errors_422(client, hall):
    meeting, rnd, codes = hall
    ratings = ok_ballot(rnd)
    _first, second, third = (str(r.pk) for r in meeting.reporters)
    ratings[second] = {"overall": "best"}
    del ratings[third]
    response = post(client, codes[0].code, {"nonce": "a", "ratings": ratings})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {second: ["总体评价的等次无效。"], third: ["请选择总体评价。"]}
    assert not VoteCode.objects.get(pk=codes[0].pk).used


def test_api_over_quota_422(client, hall):
    _meeting, rnd, codes = hall
    response = post(client, codes[0].code, {"nonce": "a", "ratings": full_ballot(rnd, "good")})
    assert response.status_code == 422
    assert response.json()["errors"]["quotas"] == ["“好”最多只能选 2 个，您选了 3 个。"]
    assert not SealedBallot.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_api_malformed_json_422_stores_nothing(client, hall, body):
    _meeting, _rnd, codes = hall
    response = post(client, codes[0].code, body)
    assert response.status_code == 422
    assert not VoteCode.objects.get(pk=codes[0].pk).used
    assert not SealedBallot.objects.exists()


def test_api_ten_megabyte_body_413_stores_nothing(client, hall):
    _meeting, rnd, codes = hall
    payload = {"nonce": "a", "ratings": ok_ballot(rnd), "pad": "x" * (10 * 1024 * 1024)}
    response = post(client, codes[0].code, payload)
    assert response.status_code == 413
    assert not VoteCode.objects.get(pk=codes[0].pk).used
    assert not SealedBallot.objects.exists()


def test_api_needs_no_login_or_csrf(hall):
    from django.test import Client

    _meeting, rnd, codes = hall
    client = Client(enforce_csrf_checks=True)
    response = post(client, codes[0].code, {"nonce": "a", "ratings": ok_ballot(rnd)})
    assert response.status_code == 200


# --- phone pages ----------------------------------------------------------------------------


def form_data(rnd, nonce="n1", grade="fair_good"):
    data = {"nonce": nonce}
    for i, reporter in enumerate(rnd.reporters):
        data[f"o_{reporter['id']}"] = "good" if i == 0 else grade
    return data


@pytest.mark.smoke
def test_page_renders_ballot(client, hall):
    meeting, _rnd, codes = hall
    response = client.get(f"/v/{codes[0].code.lower()}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="viewport"' in html
    for reporter in meeting.reporters:
        assert f'name="o_{reporter.pk}"' in html
    assert "第1党委" in html and "书记1" in html
    assert 'name="nonce"' in html and "<details" in html
    assert "http://" not in html and "https://" not in html  # no external resources
    assert "<script>" not in html  # CSP: no inline script


def test_page_enter_code_redirects(client, hall):
    _meeting, _rnd, codes = hall
    assert client.get("/v/").status_code == 200
    response = client.get("/v/", {"code": codes[0].code.lower()})
    assert response.status_code == 302 and response.url == f"/v/{codes[0].code}/"


def test_page_fix_error_then_cast(client, hall):
    meeting, rnd, codes = hall
    url = f"/v/{codes[0].code}/"
    data = form_data(rnd)
    missing = str(meeting.reporters[2].pk)
    del data[f"o_{missing}"]
    data[f"c_{meeting.reporters[1].pk}"] = "多下基层"
    response = client.post(url, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "请选择总体评价。" in html
    assert f'name="o_{meeting.reporters[0].pk}" value="good" checked' in html  # choice kept
    assert "多下基层" in html
    assert not SealedBallot.objects.exists()
    data[f"o_{missing}"] = "average"
    response = client.post(url, data)
    assert response.status_code == 200
    receipt = VoteCode.objects.get(pk=codes[0].pk).receipt
    assert receipt and receipt in response.content.decode()
    # A double tap on submit resends the same nonce: same receipt, nothing more stored.
    assert receipt in client.post(url, data).content.decode()
    [content] = sealed_contents(rnd, shares_of(rnd))
    assert len(content["r"]) == 3 and content["c"] == {str(meeting.reporters[1].pk): "多下基层"}
    assert not BallotComment.objects.exists()
    assert "该投票码已使用" in client.get(url).content.decode()


def test_page_quota_message(client, hall):
    _meeting, rnd, codes = hall
    data = form_data(rnd, grade="good")
    response = client.post(f"/v/{codes[0].code}/", data)
    assert "“好”最多只能选 2 个，您选了 3 个。" in response.content.decode()
    assert 'data-grade="good" data-limit="2"' in response.content.decode()


def test_page_used_closed_unknown(client, world, hall):
    _meeting, rnd, codes = hall
    client.post(f"/v/{codes[0].code}/", form_data(rnd, nonce="a"))
    response = client.post(f"/v/{codes[0].code}/", form_data(rnd, nonce="b"))
    assert "该投票码已使用" in response.content.decode()
    assert client.get("/v/ZZZZZZZZ/").status_code == 404
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    assert "本轮投票已结束" in client.get(f"/v/{codes[1].code}/").content.decode()
    assert "本轮投票已结束" in client.post(f"/v/{codes[1].code}/", form_data(rnd)).content.decode()


def test_page_sub_items_and_test_notice(client, world):
    meeting = make_meeting(world, sub_items=[{"code": "duty", "label": "履行责任"}])
    rnd = services.open_round(actor=world.alice, session=meeting.session, is_test=True)
    code = services.issue_codes(actor=world.alice, ballot_round=rnd)[0]
    html = client.get(f"/v/{code.code}/").content.decode()
    assert "测试投票" in html and f'name="i_{meeting.reporters[0].pk}_duty"' in html
    data = form_data(rnd)
    data[f"i_{meeting.reporters[0].pk}_duty"] = "poor"
    assert client.post(f"/v/{code.code}/", data).status_code == 200
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    assert BallotEntry.objects.filter(item="duty", grade="poor").count() == 1
