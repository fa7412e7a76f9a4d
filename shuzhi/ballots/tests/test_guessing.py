"""Guessing vote codes is slowed down per address; a full hall sharing one address is not; old
rounds' codes answer as closed and never count as guesses."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from shuzhi.ballots import guessing, services, vote_pages
from shuzhi.ballots.tests.meeting_setup import full_ballot, make_meeting
from shuzhi.core import throttle

pytestmark = pytest.mark.django_db

HALL = "10.20.30.40"  # the hall Wi-Fi's public address, shared by every phone
ATTACKER = "203.0.113.9"


@pytest.fixture(autouse=True)
def _fresh():
    vote_pages.clear()
    guessing.BLOCKED.clear()
    yield
    vote_pages.clear()
    guessing.BLOCKED.clear()


def open_hall(world, *, expected=(6, 4)):
    meeting = make_meeting(world, expected=expected)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = [c.code for c in services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)]
    return meeting, rnd, codes


def typo(code: str) -> str:
    """The code with one character mistyped (still in the alphabet, so it looks plausible)."""
    swap = "2" if code[3] != "2" else "3"
    return code[:3] + swap + code[4:]


@override_settings(SHUZHI_VOTE_UNKNOWN_PER_MINUTE=50)
def test_an_address_trying_unknown_codes_is_slowed_down_on_pages_and_api(client, world):
    _meeting, _rnd, codes = open_hall(world)
    guesses = [f"Q{i:07d}".translate(str.maketrans("01", "ZY")) for i in range(60)]
    answers = [client.get(f"/v/{g}/", REMOTE_ADDR=ATTACKER).status_code for g in guesses[:50]]
    assert answers == [404] * 50
    refused = client.get(f"/v/{guesses[50]}/", REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 60
    assert "无效投票码过多" in refused.content.decode()
    # While refused, a real code from that address is refused too: no hit shows through.
    assert client.get(f"/v/{codes[0]}/", REMOTE_ADDR=ATTACKER).status_code == 429
    posted = client.post(
        f"/v/{codes[0]}/",
        "o_1=good",
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=ATTACKER,
    )
    assert posted.status_code == 429
    api = client.get(f"/api/vote/{codes[0]}", REMOTE_ADDR=ATTACKER)
    assert api.status_code == 429 and api["Retry-After"]
    assert "无效投票码过多" in api.json()["detail"]
    # Another address is not affected.
    assert client.get(f"/v/{codes[0]}/", REMOTE_ADDR="198.51.100.1").status_code == 200


@override_settings(SHUZHI_VOTE_UNKNOWN_PER_MINUTE=50)
def test_a_block_is_shared_by_every_worker_through_the_cache(client, world):
    _meeting, _rnd, codes = open_hall(world)
    for i in range(51):
        client.post(
            f"/api/vote/QQQQ{i:04d}".replace("0", "Z").replace("1", "Y"),
            json.dumps({"ratings": {}}),
            content_type="application/json",
            REMOTE_ADDR=ATTACKER,
        )
    assert guessing.BLOCKED
    guessing.BLOCKED.clear()  # another worker process: its own dictionary is empty
    again = client.get("/v/QQQQWWWW/", REMOTE_ADDR=ATTACKER)
    assert again.status_code == 429
    assert client.get(f"/v/{codes[1]}/", REMOTE_ADDR=ATTACKER).status_code == 429


@override_settings(SHUZHI_VOTE_UNKNOWN_PER_MINUTE=50, SHUZHI_TRUSTED_PROXIES=1)
def test_behind_the_proxy_the_forwarded_address_counts_and_a_forged_one_does_not(client, world):
    open_hall(world)
    for i in range(51):
        response = client.get(
            f"/v/QQQQ{i:04d}/".replace("0", "Z").replace("1", "Y"),
            REMOTE_ADDR="127.0.0.1",
            # The client forged the first entry; the proxy appended the real address.
            HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, {ATTACKER}",
        )
    assert response.status_code == 429
    other = client.get("/v/QQQQWWWX/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=HALL)
    assert other.status_code == 404


def test_backoff_doubles_up_to_the_ceiling():
    assert [throttle.backoff(n, base=60, ceiling=900) for n in range(1, 7)] == [
        60,
        120,
        240,
        480,
        900,
        900,
    ]


def test_two_thousand_voters_behind_one_address_with_two_percent_typos_pass(client, world):
    """A 2,000-voter hall on one Wi-Fi: every phone shares HALL; one voter in fifty mistypes the
    code first (40 unknown codes, all inside one minute here — the worst case). Nobody is
    slowed down, on the page or through the API, with the default settings."""
    _meeting, rnd, codes = open_hall(world, expected=(1200, 800))
    assert len(codes) == 2000
    unknown = 0
    for i, code in enumerate(codes):
        if i % 50 == 0:
            assert client.get(f"/v/{typo(code)}/", REMOTE_ADDR=HALL).status_code in (404, 200)
            unknown += 1
        assert client.get(f"/v/{code}/", REMOTE_ADDR=HALL).status_code == 200
    assert unknown == 40
    assert not guessing.BLOCKED
    ballot = json.dumps({"nonce": "n", "ratings": full_ballot(rnd, "fair_good")})
    for code in codes[:200]:
        response = client.post(
            f"/api/vote/{code}", ballot, content_type="application/json", REMOTE_ADDR=HALL
        )
        assert response.status_code == 200, response.content
    assert client.get(f"/api/vote/{typo(codes[0])}", REMOTE_ADDR=HALL).status_code in (404, 409)


@override_settings(SHUZHI_VOTE_UNKNOWN_PER_MINUTE=50)
def test_old_rounds_codes_answer_as_closed_and_never_count_as_guesses(client, world):
    _meeting, rnd, codes = open_hall(world, expected=(40, 30))
    services.close_round(actor=world.alice, ballot_round=rnd)
    for code in codes:
        page = client.get(f"/v/{code}/", REMOTE_ADDR=ATTACKER)
        assert page.status_code == 200 and "本轮投票已结束" in page.content.decode()
    posted = client.post(
        f"/v/{codes[0]}/",
        "nonce=x",
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=ATTACKER,
    )
    assert "本轮投票已结束" in posted.content.decode()
    api = client.get(f"/api/vote/{codes[1]}", REMOTE_ADDR=ATTACKER)
    assert api.status_code == 409 and api.json()["detail"] == "本轮投票已结束。"
    cast = client.post(
        f"/api/vote/{codes[2]}",
        json.dumps({"ratings": full_ballot(rnd, "fair_good")}),
        content_type="application/json",
        REMOTE_ADDR=ATTACKER,
    )
    assert cast.status_code == 409 and cast.json()["detail"] == "本轮投票已结束。"
    assert not guessing.BLOCKED  # 70 closed codes from one address: none counted
