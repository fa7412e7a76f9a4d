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

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .models import BallotRoundStatus, VoteCode

MESSAGES = {
    "unknown": ("投票码无效", "没有找到这个投票码，请核对投票码卡片后重新输入。"),
    "foreign": ("投票码无效", "该投票码不属于本次会议。"),
    "used": ("该投票码已使用", "该投票码已使用，每个投票码只能投票一次。"),
    "closed": ("本轮投票已结束", "本轮投票已结束，感谢您的参与。"),
}


def _message(request: HttpRequest, reason: str, status: int = 200) -> HttpResponse:
    title, text = MESSAGES[reason]
    return render(
        request, "ballots/vote_message.html", {"title": title, "text": text}, status=status
    )


@never_cache
def enter_code(request: HttpRequest) -> HttpResponse:
    """A form to type the code printed on the slip (GET, so it works without JavaScript)."""
    code = services.normalise_code(request.GET.get("code", ""))
    if code:
        return redirect("vote_ballot", code=code)
    return render(request, "ballots/vote_enter.html")


def _rows(form: services.BallotForm, data: Any, errors: dict[str, list[str]]) -> list[dict]:
    """The ballot's rows for the template, with the voter's choices and errors kept."""
    rows = []
    for reporter in form.reporters:
        key = str(reporter["id"])
        overall = data.get(f"o_{key}", "") if data is not None else ""
        rows.append(
            {
                "id": key,
                "unit": reporter.get("unit", ""),
                "name": reporter.get("name", ""),
                "grades": [
                    {"code": code, "label": label, "checked": overall == code}
                    for code, label in form.grades.items()
                ],
                "abstain_checked": data is not None and overall == "" and form.allow_abstain,
                "items": [
                    {
                        "code": item,
                        "label": label,
                        "grades": [
                            {
                                "code": code,
                                "label": label,
                                "checked": data is not None
                                and data.get(f"i_{key}_{item}", "") == code,
                            }
                            for code, label in form.grades.items()
                        ],
                    }
                    for item, label in form.items.items()
                ],
                "comment": data.get(f"c_{key}", "") if data is not None else "",
                "errors": errors.get(key, []),
            }
        )
    return rows


def _ratings_from_post(form: services.BallotForm, post: Any) -> tuple[dict, dict]:
    ratings: dict[str, dict] = {}
    comments: dict[str, str] = {}
    for reporter in form.reporters:
        key = str(reporter["id"])
        overall = post.get(f"o_{key}")
        items = {item: post.get(f"i_{key}_{item}", "") for item in form.items}
        if overall is not None:
            ratings[key] = {"overall": overall, "items": items}
        elif any(items.values()):
            ratings[key] = {"items": items}
        comment = post.get(f"c_{key}", "")
        if comment.strip():
            comments[key] = comment
    return ratings, comments


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, code: str) -> HttpResponse:
    """The ballot of one code: one row per reporter; on POST, cast it or show what to fix."""
    code = services.normalise_code(code)
    vote_code = VoteCode.objects.select_related("round").filter(code=code).first()
    if vote_code is None:
        return _message(request, "unknown", status=404)
    ballot_round = vote_code.round
    if request.method == "GET":
        if ballot_round.status != BallotRoundStatus.OPEN:
            return _message(request, "closed")
        if vote_code.used:
            return _message(request, "used")
    form = services.form_for_round(ballot_round)
    errors: dict[str, list[str]] = {}
    data = None
    nonce = uuid.uuid4().hex
    if request.method == "POST":
        data = request.POST
        nonce = str(data.get("nonce", ""))[: services.NONCE_MAX_LENGTH] or nonce
        ratings, comments = _ratings_from_post(form, data)
        try:
            receipt = services.submit_ballot(
                code=code, nonce=nonce, ratings=ratings, comments=comments
            )
        except services.VoteRefused as refused:
            return _message(request, refused.reason)
        except ValidationError as invalid:
            errors = invalid.message_dict
        else:
            return render(request, "ballots/vote_done.html", {"receipt": receipt})
    general = errors.get("quotas", []) + errors.get("ratings", []) + errors.get("comments", [])
    quotas = [
        {"code": grade, "label": form.grades.get(grade, grade), "limit": limit}
        for grade, limit in form.quotas.items()
    ]
    return render(
        request,
        "ballots/vote_ballot.html",
        {
            "code": code,
            "nonce": nonce,
            "round": ballot_round,
            "rows": _rows(form, data, errors),
            "allow_abstain": form.allow_abstain,
            "has_items": bool(form.items),
            "quotas": quotas,
            "general_errors": general,
            "has_errors": bool(errors),
            "comment_max": services.COMMENT_MAX_LENGTH,
        },
        status=422 if errors else 200,
    )
