"""The phones' short route: /v/<code>/ answered before the staff pages' middleware, with the
same headers, host check and language as the full chain gives."""

from __future__ import annotations

import gzip
import io
import time

import pytest
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client, override_settings

from shuzhi import wsgi
from shuzhi.ballots import guessing, services, vote_pages
from shuzhi.ballots.tests.test_vote_pages import FORM, form, nonce_of, open_hall
from shuzhi.ballots.vote_route import BlankBallotApplication

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


def test_a_language_cookie_for_a_language_not_offered_is_ignored(world):
    _meeting, _rnd, codes = open_hall(world)
    phone = Client()
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert phone.get(f"/v/{codes[0]}/").headers["Content-Language"] == "zh-hans"
    assert Client().get(f"/v/{codes[0]}/").headers["Content-Language"] == "zh-hans"


def test_other_paths_take_the_full_chain(client, world):
    # The code-entry page and a deeper path are not the ballot: the full chain answers them
    # (the entry page sets the language header through the locale middleware's Vary).
    entry = client.get("/v/")
    assert entry.status_code == 200
    assert "Accept-Language" in entry.headers.get("Vary", "")
    assert client.get("/v/ABC/extra/").status_code == 404


# --- The blank page below Django's request and response objects (shuzhi.wsgi) -----------------


@pytest.fixture
def wsgi_app():
    """The production WSGI stack on the test database: the blank-page answer in front of
    Django's handler, with a counter of what reached Django. As Django's test client does, the
    connection-closing receivers stay off, so the test's transaction survives the requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    handler = WSGIHandler()
    reached: list[str] = []

    def django(environ, start_response):
        reached.append(environ["PATH_INFO"])
        return handler(environ, start_response)

    app = BlankBallotApplication(django)
    app.reached = reached  # type: ignore[attr-defined]
    yield app
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def environ_for(path: str, method: str = "GET", **extra: str) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
    }
    environ.update(extra)
    return environ


def call(app, environ: dict) -> tuple[int, dict[str, str], bytes]:
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer["status"], answer["headers"], body


def page_text(headers: dict[str, str], body: bytes) -> str:
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode()


@pytest.mark.parametrize("variant", ["gzip", "plain", "https"])
def test_the_blank_page_below_django_is_the_full_chains_page(world, wsgi_app, variant):
    _meeting, _rnd, codes = open_hall(world)
    extra = {"gzip": {}, "plain": {"HTTP_ACCEPT_ENCODING": ""}, "https": {}}[variant]
    secure = {"HTTP_X_FORWARDED_PROTO": "https"} if variant == "https" else {}
    with override_settings(
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_HSTS_SECONDS=3600,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    ):
        wsgi_app._plain_headers = wsgi_app._secure_headers = None
        status, fast, body = call(wsgi_app, environ_for(f"/v/{codes[0]}/", **extra, **secure))
        assert wsgi_app.reached == []  # answered below Django
        # Django's middleware reads these settings when it is built: a handler of its own.
        full_status, full, full_body = call(
            WSGIHandler(), environ_for(f"/v/{codes[1]}/", **extra, **secure)
        )
    assert status == full_status == 200
    assert int(fast.pop("Content-Length")) == len(body)
    full.pop("Content-Length")
    assert fast == full
    assert ("Strict-Transport-Security" in fast) is (variant == "https")
    mine, theirs = page_text(fast, body), page_text(full, full_body)
    assert mine.replace(nonce_of(mine), "N") == theirs.replace(nonce_of(theirs), "N")


def test_the_blank_page_below_django_costs_one_query(world, wsgi_app, django_assert_num_queries):
    _meeting, _rnd, codes = open_hall(world)
    call(wsgi_app, environ_for(f"/v/{codes[0]}/"))  # renders the round's page once
    with django_assert_num_queries(1):
        status, _headers, _body = call(wsgi_app, environ_for(f"/v/{codes[1]}/"))
    assert status == 200 and wsgi_app.reached == []


def test_everything_unusual_goes_to_django(world, wsgi_app):
    _meeting, rnd, codes = open_hall(world)
    # codes[1] is used (through the service: the test client would switch the
    # connection-closing receivers back on).
    ratings = {str(r["id"]): {"overall": "fair_good"} for r in rnd.reporters}
    services.submit_ballot(code=codes[1], nonce="n1", ratings=ratings)
    cases = {
        "query string": (environ_for(f"/v/{codes[0]}/", QUERY_STRING="x=1"), 200),
        "lower case": (environ_for(f"/v/{codes[0].lower()}/"), 200),
        "language cookie": (environ_for(f"/v/{codes[0]}/", HTTP_COOKIE="django_language=en"), 200),
        "used code": (environ_for(f"/v/{codes[1]}/"), 200),
        "unknown code": (environ_for("/v/22222222/"), 404),
        "entry page": (environ_for("/v/"), 200),
    }
    for name, (environ, expected) in cases.items():
        before = len(wsgi_app.reached)
        status, _headers, _body = call(wsgi_app, environ)
        assert len(wsgi_app.reached) == before + 1, f"{name} was answered below Django"
        assert status == expected, name
    assert "已使用" in call(wsgi_app, environ_for(f"/v/{codes[1]}/"))[2].decode()
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        status, _headers, _body = call(
            wsgi_app, environ_for(f"/v/{codes[0]}/", HTTP_HOST="evil.example")
        )
        assert status == 400 and wsgi_app.reached[-1] == f"/v/{codes[0]}/"
        assert call(wsgi_app, environ_for(f"/v/{codes[2]}/"))[0] == 200


def test_plain_http_goes_to_django_to_be_redirected(world, wsgi_app):
    # (``wsgi_app`` keeps the connection-closing receivers off.)
    _meeting, _rnd, codes = open_hall(world)
    with override_settings(SECURE_SSL_REDIRECT=True):
        # Django's security middleware reads the setting when it is built.
        redirecting = BlankBallotApplication(WSGIHandler())
        status, headers, _body = call(redirecting, environ_for(f"/v/{codes[0]}/"))
        assert status == 301 and headers["Location"].startswith("https://")
        secure = environ_for(f"/v/{codes[1]}/", **{"wsgi.url_scheme": "https"})
        assert call(redirecting, secure)[0] == 200


def test_an_address_being_slowed_down_goes_to_django(world, wsgi_app, monkeypatch):
    _meeting, _rnd, codes = open_hall(world)
    monkeypatch.setitem(guessing.BLOCKED, "203.0.113.9", time.time() + 60)
    status, _headers, _body = call(wsgi_app, environ_for(f"/v/{codes[0]}/"))
    assert wsgi_app.reached == [f"/v/{codes[0]}/"] and status == 200  # another address


def test_the_production_entry_point_answers_the_blank_page_first():
    assert isinstance(wsgi.application, BlankBallotApplication)
