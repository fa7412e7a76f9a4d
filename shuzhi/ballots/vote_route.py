"""The phones' short route: ``/v/<code>/`` answered without the staff pages' middleware.

Every phone in the hall asks for its ballot page and posts it back: two requests per ballot,
2,000 ballots in a few minutes. The middleware after this one serves logged-in staff — the
session, the language cookie, common URL rules, CSRF, authentication, messages, the frame
header — and costs about as much per request as the ballot page itself (ADR 0013). A phone
needs none of it: it has no session, no login and no CSRF token (the view is CSRF-exempt: the
one-time code is the only credential), and the page is always Chinese unless the language
cookie says otherwise.

So this middleware, placed after the security headers and the request guard (which still run
on every phone request), answers a path that is exactly ``/v/<code>/`` itself: it validates the
host as ``CommonMiddleware`` would, picks the language as ``ChosenLanguageMiddleware`` would,
calls the ballot view, and sets the frame header and the length. Every other path, and ``/v/``
itself, goes down the usual chain. The URLconf keeps the route too (for ``reverse`` and for
setups that leave this middleware out); the view is the same function either way.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.utils import translation

from shuzhi.core.middleware import CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY

from . import guessing, services, vote_pages, vote_views
from .models import BallotRoundStatus

_BALLOT_PATH = re.compile(r"/v/([^/]+)/\Z")


class VoteRouteMiddleware:
    """Answer ``/v/<code>/`` directly with the ballot view; pass everything else on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = _BALLOT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        # The host check CommonMiddleware makes (DisallowedHost becomes a 400).
        request.get_host()
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        # The phone is anonymous even on a staff member's own browser: the ballot never reads
        # the session, and the pages' templates see no one logged in.
        request.user = AnonymousUser()  # type: ignore[assignment]
        with translation.override(language):
            response = vote_views.ballot(request, code=match.group(1))
            response.setdefault("Content-Language", language)
        response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response


# --- Below Django's request and response objects: the blank ballot page -----------------------

# Exactly a code as issued (normalised): anything else — lower case, dashes — goes to Django.
_ISSUED_CODE_PATH = re.compile(
    rf"/v/([{re.escape(services.ALPHABET)}]{{{services.CODE_LENGTH}}})/\Z"
)

StartResponse = Callable[..., Any]


class BlankBallotApplication:
    """WSGI: answer ``GET /v/<code>/`` of an open, unused code with the round's blank page,
    without building Django's request and response objects; hand everything else to Django.

    The page is the same for every voter but the nonce (``vote_pages``), so the answer is the
    spliced page and a fixed set of headers — the ones the full chain sends, built once from
    the same settings (``tests/test_vote_route.py`` compares them header by header). Anything
    unusual takes Django's path, which then answers exactly as before: another method, a query
    string, a code not exactly as issued, a language cookie, a host Django might refuse (or
    ``DEBUG``, or a forwarded host), a plain-HTTP request that Django would redirect, an address
    being slowed down for guessing codes, and every code that is unknown, used or closed (those
    answers also count guesses). The code's state is read once by the same prepared statement
    as the view's, between Django's request-started and request-finished signals, so database
    connections are opened, checked and closed as for any request.
    """

    def __init__(self, django_app: Callable[[dict, StartResponse], Iterable[bytes]]) -> None:
        self.django_app = django_app
        self._secure_headers: list[tuple[str, str]] | None = None
        self._plain_headers: list[tuple[str, str]] | None = None

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or guessing.BLOCKED
            or settings.LANGUAGE_COOKIE_NAME in environ.get("HTTP_COOKIE", "")
        ):
            return self.django_app(environ, start_response)
        match = _ISSUED_CODE_PATH.match(environ.get("PATH_INFO", ""))
        secure = self._secure(environ)
        if match is None or secure is None or not self._host_allowed(environ):
            return self.django_app(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            state = vote_pages.code_state(match.group(1))
            if state is None or state.status != BallotRoundStatus.OPEN or state.used:
                body = None
            else:
                gzip = vote_pages.accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
                with translation.override(settings.LANGUAGE_CODE):
                    page = vote_pages.ballot_page(state)
                body = page.content(uuid.uuid4().hex, gzip=gzip)
        finally:
            signals.request_finished.send(sender=self.__class__)
        if body is None:
            return self.django_app(environ, start_response)
        headers = self.headers(secure=secure, gzip=gzip)
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _secure(environ: dict) -> bool | None:
        """Whether the request came over HTTPS, as Django reads it; None when Django would
        redirect it to HTTPS (``SECURE_SSL_REDIRECT``)."""
        secure = environ.get("wsgi.url_scheme") == "https"
        if settings.SECURE_PROXY_SSL_HEADER:
            header, value = settings.SECURE_PROXY_SSL_HEADER
            sent = environ.get(header)
            if sent is not None:
                secure = sent.split(",")[0].strip() == value
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        return secure

    @staticmethod
    def _host_allowed(environ: dict) -> bool:
        """The Host header, checked as ``HttpRequest.get_host`` checks it; any doubt → Django."""
        if settings.DEBUG or settings.USE_X_FORWARDED_HOST:
            return False
        domain, _port = split_domain_port(environ.get("HTTP_HOST", ""))
        return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)

    def headers(self, *, secure: bool, gzip: bool) -> list[tuple[str, str]]:
        """The blank page's headers, as the security middleware, the security headers, the
        short route and the view set them (built once per process)."""
        if self._plain_headers is None or self._secure_headers is None:
            common = [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Vary", "Accept-Encoding"),
                ("Cache-Control", f"private, max-age={vote_views.BALLOT_MAX_AGE}"),
                ("Content-Language", settings.LANGUAGE_CODE),
                ("X-Frame-Options", settings.X_FRAME_OPTIONS),
                ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                ("Permissions-Policy", PERMISSIONS_POLICY),
            ]
            if settings.SECURE_CONTENT_TYPE_NOSNIFF:
                common.append(("X-Content-Type-Options", "nosniff"))
            if settings.SECURE_REFERRER_POLICY:
                policy = settings.SECURE_REFERRER_POLICY
                if not isinstance(policy, str):
                    policy = ",".join(policy)
                common.append(("Referrer-Policy", policy))
            if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
                common.append(
                    ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
                )
            self._plain_headers = common
            self._secure_headers = list(common)
            if settings.SECURE_HSTS_SECONDS:
                hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
                if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                    hsts += "; includeSubDomains"
                if settings.SECURE_HSTS_PRELOAD:
                    hsts += "; preload"
                self._secure_headers.append(("Strict-Transport-Security", hsts))
        chosen = self._secure_headers if secure else self._plain_headers
        return [*chosen, ("Content-Encoding", "gzip")] if gzip else chosen
