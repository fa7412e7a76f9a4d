"""Input that used to end in a server error now gets a 400 with a Chinese message, on pages and
in the API, before any view runs (``shuzhi.core.guard``).

The NUL cases are PostgreSQL's: its text type cannot hold U+0000, so before the guard a vote
code, nonce, comment or search term with one failed in the database driver with a 500. SQLite
stores NUL; the guard refuses it there too so both databases behave alike. The nested JSON
and the pagination offsets failed on both databases.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from shuzhi.ballots import services
from shuzhi.ballots.models import Ballot, VoteCode
from shuzhi.ballots.tests.meeting_setup import full_ballot, make_meeting
from shuzhi.core.guard import DEPTH_MESSAGE, NUL_MESSAGE, PAGE_MESSAGE, json_too_deep

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = "9223372036854775808"  # 2^63: the first OFFSET the database cannot take
HUGE_PAGE = "99999999999999999999"


@pytest.fixture
def hall(world):
    meeting = make_meeting(world, reporters=2)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd)
    return rnd, codes


def vote(client, code: str, body: str):
    return client.post(f"/api/vote/{code}", body, content_type="application/json")


def refused_json(response, message: str) -> None:
    assert response.status_code == 400, response.content[:200]
    assert response.json() == {"detail": message}


def refused_page(response, message: str) -> None:
    assert response.status_code == 400
    assert message in response.content.decode()


def nothing_cast(codes) -> None:
    assert not Ballot.objects.exists()
    assert not VoteCode.objects.filter(pk__in=[c.pk for c in codes], used=True).exists()


@pytest.mark.smoke
def test_json_nested_20000_deep_on_the_vote_api(client, hall):
    _rnd, codes = hall
    response = vote(client, codes[0].code, "[" * 20_000 + "]" * 20_000)
    refused_json(response, DEPTH_MESSAGE)
    deep_object = '{"nonce": "a", "ratings": ' + '{"a": ' * 20_000 + "1" + "}" * 20_001
    refused_json(vote(client, codes[0].code, deep_object), DEPTH_MESSAGE)
    nothing_cast(codes)


def test_the_depth_count_reads_json_not_text():
    assert not json_too_deep(b'{"comment": "' + b"[[[[" * 100 + b'"}', 32)
    assert not json_too_deep(b'{"a": "\\"[[[[[[[[[[[[[["}', 4)
    assert json_too_deep(b"[" * 33 + b"]" * 33, 32)
    assert not json_too_deep(b"[" * 32 + b"]" * 32, 32)


def test_nul_in_a_vote_code(client, hall):
    _rnd, codes = hall
    code = codes[0].code
    refused_json(client.get(f"/api/vote/{code[:4]}\x00{code[4:]}"), NUL_MESSAGE)
    refused_json(vote(client, code[:4] + "\x00", '{"nonce": "a"}'), NUL_MESSAGE)
    refused_page(client.get(f"/v/{code[:4]}\x00/"), NUL_MESSAGE)
    refused_page(client.get("/v/", {"code": code + "\x00"}), NUL_MESSAGE)
    refused_page(client.post("/v/", {"code": code + "\x00"}), NUL_MESSAGE)
    nothing_cast(codes)


def test_nul_in_a_nonce_or_a_comment(client, hall):
    rnd, codes = hall
    ratings = full_ballot(rnd, "good")
    first = str(rnd.reporters[0]["id"])
    for payload in (
        {"nonce": "a\x00b", "ratings": ratings, "comments": {}},
        {"nonce": "ok", "ratings": ratings, "comments": {first: "意见\x00"}},
        {"nonce": "ok", "ratings": ratings, "comments": {first + "\x00": "意见"}},
    ):
        refused_json(vote(client, codes[0].code, json.dumps(payload)), NUL_MESSAGE)
    form = {f"o_{r['id']}": "good" for r in rnd.reporters}
    refused_page(client.post(f"/v/{codes[0].code}/", {**form, "nonce": "\x00"}), NUL_MESSAGE)
    refused_page(
        client.post(f"/v/{codes[0].code}/", {**form, f"c_{first}": "意见\x00"}), NUL_MESSAGE
    )
    # As a phone's browser posts the form: urlencoded, the NUL as %00.
    refused_page(
        client.post(
            f"/v/{codes[0].code}/",
            urlencode({**form, f"c_{first}": "意见\x00"}),
            content_type="application/x-www-form-urlencoded",
        ),
        NUL_MESSAGE,
    )
    nothing_cast(codes)
    # The six characters \u0000 typed as text are text: escaped in JSON, they pass.
    payload = {"nonce": "ok", "ratings": ratings, "comments": {first: "见 \\u0000 处"}}
    assert vote(client, codes[0].code, json.dumps(payload)).status_code == 200


def test_nul_in_search_parameters(client, world):
    client.force_login(world.alice)
    for url, name in [
        ("/people/", "q"),
        ("/problems/", "q"),
        ("/problems/summary/", "unit"),
        ("/audit/", "actor"),
        ("/inbox/", "q"),
        ("/accounts/users/", "q"),
    ]:
        refused_page(client.get(url, {name: "书记\x00"}), NUL_MESSAGE)
    for url, name in [
        ("/api/people/", "q"),
        ("/api/units/", "q"),
        ("/api/audit/", "actor"),
        ("/api/accounts/users", "q"),
        ("/api/units/export", "unit"),
    ]:
        refused_json(client.get(url, {name: "书记\x00"}), NUL_MESSAGE)
    # An ordinary search still answers.
    assert client.get("/people/", {"q": "书记"}).status_code == 200
    assert client.get("/api/people/", {"q": "书记"}).status_code == 200


def test_nul_in_a_json_body_elsewhere_in_the_api(client, world):
    client.force_login(world.alice)
    body = {"parent_id": world.province.pk, "code": "X1", "name": "新单位", "type": "city"}
    for field in ("name", "code"):
        hostile = json.dumps({**body, field: body[field] + "\x00"})
        response = client.post("/api/units/", hostile, content_type="application/json")
        refused_json(response, NUL_MESSAGE)
    response = client.post("/api/units/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201


@pytest.mark.smoke
def test_pagination_offsets_beyond_the_database(client, world):
    client.force_login(world.alice)
    for url in ["/api/units/", "/api/people/", "/api/audit/", "/api/problems/", "/api/rounds/"]:
        refused_json(client.get(url, {"offset": BEYOND_BIGINT}), PAGE_MESSAGE)
        refused_json(client.get(url, {"offset": HUGE_PAGE}), PAGE_MESSAGE)
        assert client.get(url, {"offset": "0"}).status_code == 200
    children = f"/units/{world.province.pk}/children/"
    refused_page(client.get(children, {"offset": BEYOND_BIGINT}), PAGE_MESSAGE)
    assert client.get(children, {"offset": "1"}).status_code == 200
    for url in ["/problems/", "/people/", "/assessment/"]:
        refused_page(client.get(url, {"page": HUGE_PAGE}), PAGE_MESSAGE)
        assert client.get(url, {"page": "2"}).status_code == 200
