"""The phones' short route: /v/<code>/ answered before the staff pages' middleware, with the
same headers, host check and language as the full chain gives."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from shuzhi.ballots import vote_pages
from shuzhi.ballots.tests.test_vote_pages import FORM, form, nonce_of, open_hall

pytestmark = pytest.mark.django_db

ROUTE = "shuzhi.ballots.vote_route.VoteRouteMiddleware"
WITHOUT_ROUTE = [m for m in settings.MIDDLEWARE if m != ROUTE]
COMPARED = (
    "Content-Security-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "Referrer-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Cache-Control",
    "Content-Encoding",
    "Content-Language",
    "Content-Type",
)


@pytest.fixture(autouse=True)
def _fresh_pages():
    vote_pages.clear()
    yield
    vote_pages.clear()


def headers(response) -> dict[str, str]:
    return {name: response.headers.get(name, "") for name in COMPARED}


def test_the_route_is_installed_after_the_guard_and_before_the_session():
    chain = settings.MIDDLEWARE
    assert chain.index("shuzhi.core.guard.RequestGuardMiddleware") < chain.index(ROUTE)
    assert chain.index(ROUTE) < chain.index("django.contrib.sessions.middleware.SessionMiddleware")


@pytest.mark.parametrize("status", ["open", "used", "unknown"])
def test_the_route_answers_with_the_headers_of_the_full_chain(world, status):
    _meeting, rnd, codes = open_hall(world)
    code = {"open": codes[0], "used": codes[1], "unknown": "ZZZZZZZZ"}[status]
    if status == "used":
        Client().post(f"/v/{code}/", form(rnd), content_type=FORM)
    short = Client().get(f"/v/{code}/", HTTP_ACCEPT_ENCODING="gzip")
    with override_settings(MIDDLEWARE=WITHOUT_ROUTE):
        full = Client().get(f"/v/{code}/", HTTP_ACCEPT_ENCODING="gzip")
    assert short.status_code == full.status_code
    assert headers(short) == headers(full)
    assert short.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in short.headers["Content-Security-Policy"]
    assert int(short.headers["Content-Length"]) == len(short.content)


def test_a_cast_ballot_through_the_route_gets_its_receipt_with_the_same_headers(world):
    _meeting, rnd, codes = open_hall(world)
    phone = Client()
    nonce = nonce_of(phone.get(f"/v/{codes[0]}/").content.decode())
    short = phone.post(f"/v/{codes[0]}/", form(rnd, nonce=nonce), content_type=FORM)
    with override_settings(MIDDLEWARE=WITHOUT_ROUTE):
        other = Client()
        nonce = nonce_of(other.get(f"/v/{codes[1]}/").content.decode())
        full = other.post(f"/v/{codes[1]}/", form(rnd, nonce=nonce), content_type=FORM)
    assert short.status_code == full.status_code == 200
    assert "投票成功" in short.content.decode() or "回执" in short.content.decode()
    assert headers(short) == headers(full)


@override_settings(ALLOWED_HOSTS=["hall.example"])
def test_a_foreign_host_is_refused_on_the_route_too(world):
    _meeting, _rnd, codes = open_hall(world)
    assert Client().get(f"/v/{codes[0]}/", HTTP_HOST="evil.example").status_code == 400
    assert Client().get(f"/v/{codes[0]}/", HTTP_HOST="hall.example").status_code == 200


def test_the_route_neither_reads_nor_sets_the_session_of_a_logged_in_browser(client, world):
    _meeting, _rnd, codes = open_hall(world)
    client.force_login(world.alice)
    response = client.get(f"/v/{codes[0]}/")
    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")
    assert not response.cookies
    assert "退出" not in response.content.decode()  # no staff navigation on a voter's page


def test_the_language_cookie_still_chooses_the_language(world):
    _meeting, _rnd, codes = open_hall(world)
    phone = Client()
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert phone.get(f"/v/{codes[0]}/").headers["Content-Language"] == "en"
    assert Client().get(f"/v/{codes[0]}/").headers["Content-Language"] == "zh-hans"


def test_other_paths_take_the_full_chain(client, world):
    # The code-entry page and a deeper path are not the ballot: the full chain answers them
    # (the entry page sets the language header through the locale middleware's Vary).
    entry = client.get("/v/")
    assert entry.status_code == 200
    assert "Accept-Language" in entry.headers.get("Vary", "")
    assert client.get("/v/ABC/extra/").status_code == 404
