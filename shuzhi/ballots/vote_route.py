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
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from . import vote_views

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
