"""The voter's phone pages: type a code, fill in the ballot, get a receipt. No login.

Plain server-rendered HTML that works without JavaScript, in WeChat's browser and on old
phones; no external resources. The POST is exempt from CSRF: the page carries no ambient
authority (no login, no cookie) — the one-time code in the URL is the only credential, and a
forged request would need that code. Nothing here logs or echoes what was voted except back to
the voter on their own page.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import guessing, services, vote_pages
from .models import BallotRoundStatus

# How long a phone may show its ballot page again without asking (back, reopening the link).
BALLOT_MAX_AGE = 300

MESSAGES = {
    "unknown": ("投票码无效", "没有找到这个投票码，请核对投票码卡片后重新输入。"),
    "foreign": ("投票码无效", "该投票码不属于本次会议。"),
    "used": ("该投票码已使用", "该投票码已使用，每个投票码只能投票一次。"),
    "closed": ("本轮投票已结束", "本轮投票已结束，感谢您的参与。"),
}


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _message(request: HttpRequest, reason: str, status: int = 200) -> HttpResponse:
    title, text = MESSAGES[reason]
    return _no_store(
        render(request, "ballots/vote_message.html", {"title": title, "text": text}, status=status)
    )


def _slow_down(request: HttpRequest, seconds: int) -> HttpResponse:
    context = {"title": "请稍后再试", "text": guessing.message(seconds)}
    response = render(request, "ballots/vote_message.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return _no_store(response)


def _unknown(request: HttpRequest) -> HttpResponse:
    """An unknown code: counted against the address (``guessing``), slowed down past the limit."""
    seconds = guessing.note_unknown(request)
    if seconds:
        return _slow_down(request, seconds)
    return _message(request, "unknown", status=404)


@never_cache
def enter_code(request: HttpRequest) -> HttpResponse:
    """A form to type the code printed on the slip (GET, so it works without JavaScript)."""
    code = services.normalise_code(request.GET.get("code", ""))
    if code:
        return redirect("vote_ballot", code=code)
    return render(request, "ballots/vote_enter.html")


def form_fields(request: HttpRequest) -> Any:
    """The posted form as a dict (the last value of a repeated name wins, as ``QueryDict.get``).

    The ballot posts ``application/x-www-form-urlencoded`` with ASCII names and, but for
    comments, ASCII values: split it by hand, unquoting only what is quoted — a ``QueryDict``
    spends most of the POST's time on 40 fields. Other encodings go through ``request.POST``.
    ``request.body`` enforces ``DATA_UPLOAD_MAX_MEMORY_SIZE``; the field count is checked
    against ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` here, as Django would.
    """
    if request.content_type != "application/x-www-form-urlencoded":
        return request.POST
    body = request.body
    pairs = body.split(b"&") if body else []
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and len(pairs) > limit:
        raise TooManyFieldsSent("提交的项目过多。")
    fields: dict[str, str] = {}
    for pair in pairs:
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        if b"%" in pair or b"+" in pair:
            fields[unquote_plus(name.decode("utf-8", "replace"))] = unquote_plus(
                value.decode("utf-8", "replace")
            )
        else:
            fields[name.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return fields


def ratings_from_fields(fields: Any) -> tuple[dict, dict]:
    """The ballot as :func:`services.submit_ballot` takes it, from the form's fields alone.

    ``o_<reporter>`` is the overall grade, ``i_<reporter>_<item>`` a sub-item's grade and
    ``c_<reporter>`` a comment; no form object is built and the round is not read —
    ``submit_ballot`` checks the ballot against the round's form (a missing reporter, an
    unknown reporter or sub-item, a grade off the scale, a quota) and says what to fix.
    """
    ratings: dict[str, dict] = {}
    comments: dict[str, str] = {}
    for name, value in fields.items():
        kind, _, rest = name.partition("_")
        if kind == "o":
            ratings.setdefault(rest, {})["overall"] = value
        elif kind == "i":
            reporter, _, item = rest.partition("_")
            ratings.setdefault(reporter, {}).setdefault("items", {})[item] = value
        elif kind == "c" and value.strip():
            comments[rest] = value
    return ratings, comments


def _page(content: bytes, *, gzip: bool, status: int = 200) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type="text/html; charset=utf-8")
    if gzip:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, code: str) -> HttpResponse:
    """The ballot of one code: one row per reporter; on POST, cast it or show what to fix.

    GET answers the round's ballot page rendered once (``vote_pages``) with a fresh nonce,
    gzipped when the phone takes it, cacheable by the phone only (``private``), so going back
    or reopening the page within a few minutes shows the same page and nonce without asking
    the server; a retried POST with that nonce gets the same receipt. POST casts without
    reading the round first; only a ballot to fix reads it again to re-render the page with the
    voter's choices (never compressed, never cached: it reflects what the voter typed).
    """
    code = services.normalise_code(code)
    if guessing.BLOCKED and (seconds := guessing.refusal(request)):
        return _slow_down(request, seconds)
    gzip = vote_pages.accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    if request.method == "GET":
        state = vote_pages.code_state(code)
        if state is None:
            return _unknown(request)
        if state.status != BallotRoundStatus.OPEN:
            return _message(request, "closed")
        if state.used:
            return _message(request, "used")
        page = vote_pages.ballot_page(state)
        response = _page(page.content(uuid.uuid4().hex, gzip=gzip), gzip=gzip)
        response["Cache-Control"] = f"private, max-age={BALLOT_MAX_AGE}"
        return response
    fields = form_fields(request)
    nonce = str(fields.get("nonce", ""))[: services.NONCE_MAX_LENGTH] or uuid.uuid4().hex
    ratings, comments = ratings_from_fields(fields)
    try:
        receipt = services.submit_ballot(code=code, nonce=nonce, ratings=ratings, comments=comments)
    except services.VoteRefused as refused:
        if refused.reason == "unknown":
            return _unknown(request)
        return _message(request, refused.reason)
    except ValidationError as invalid:
        state = vote_pages.code_state(code)
        if state is None:  # deleted meanwhile (a test round wiped)
            return _message(request, "unknown", status=404)
        html = vote_pages.render_ballot(
            state.round_id, nonce=nonce, data=fields, errors=invalid.message_dict
        )
        return _no_store(HttpResponse(html, status=422))
    return _no_store(_page(vote_pages.receipt_page().content(receipt, gzip=gzip), gzip=gzip))
