"""Voter API: read a ballot form and cast a ballot with a one-time code (no login).

``POST /api/vote/{code}`` takes ``{"nonce", "ratings": {reporter_id: {"overall", "items"}},
"comments": {reporter_id: text}}`` and answers 200 ``{"receipt"}``, 404 for an unknown code,
409 for a used code or a closed round, 429 with ``Retry-After`` for an address that tried
too many unknown codes (:mod:`shuzhi.ballots.guessing`), 413 for a body over 64 KB and 422
for malformed JSON or an invalid ballot (messages per reporter id). The body is parsed by hand
and the response built directly: this is the hot path of a full hall, and nothing here may log
what was voted.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from . import guessing, services
from .models import BallotRound, BallotRoundStatus, VoteCode

router = Router(tags=["vote"], auth=None)

MAX_BODY_BYTES = 64 * 1024
REFUSAL_STATUS = {"unknown": 404, "foreign": 404, "used": 409, "closed": 409}


def _error(status: int, detail: str, errors: dict | None = None) -> JsonResponse:
    body: dict = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over the limit (checked before reading it)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def form_definition(ballot_round: BallotRound) -> dict:
    """What a phone needs to draw the ballot: reporters, scale, sub-items, quotas."""
    policy = ballot_round.policy
    return {
        "round": ballot_round.number,
        "is_test": ballot_round.is_test,
        "reporters": ballot_round.reporters,
        "scale": [{"code": s["code"], "label": s["label"]} for s in policy.get("scale", [])],
        "sub_items": policy.get("sub_items", []),
        "quotas": policy.get("quotas", {}),
        "allow_abstain": bool(policy.get("allow_abstain")),
        "comment_max_length": services.COMMENT_MAX_LENGTH,
    }


def _unknown(request: HttpRequest) -> JsonResponse:
    seconds = guessing.note_unknown(request)
    if seconds:
        return _slow_down(seconds)
    return _error(404, "投票码无效，请核对后重新输入。")


def _slow_down(seconds: int) -> JsonResponse:
    response = _error(429, guessing.message(seconds))
    response["Retry-After"] = str(seconds)
    return response


@router.get("/{code}", summary="读取选票")
def ballot_form(request: HttpRequest, code: str) -> HttpResponse:
    if guessing.BLOCKED and (seconds := guessing.refusal(request)):
        return _slow_down(seconds)
    vote_code = (
        VoteCode.objects.select_related("round").filter(code=services.normalise_code(code)).first()
    )
    if vote_code is None:
        return _unknown(request)
    if vote_code.round.status != BallotRoundStatus.OPEN:
        return _error(409, "本轮投票已结束。")
    if vote_code.used:
        return _error(409, "该投票码已使用。")
    return JsonResponse(form_definition(vote_code.round), json_dumps_params={"ensure_ascii": False})


@router.post("/{code}", summary="投票")
def cast(request: HttpRequest, code: str) -> HttpResponse:
    if guessing.BLOCKED and (seconds := guessing.refusal(request)):
        return _slow_down(seconds)
    body = _read_body(request)
    if body is None:
        return _error(413, "提交的内容过大。")
    try:
        data = json.loads(body)
    except ValueError:
        return _error(422, "提交的内容不是有效的 JSON。")
    if not isinstance(data, dict):
        return _error(422, "提交的内容格式不正确。")
    try:
        receipt = services.submit_ballot(
            code=code,
            nonce=nonce if isinstance(nonce := data.get("nonce"), str) else "",
            ratings=data.get("ratings"),
            comments=data.get("comments"),
        )
    except services.VoteRefused as refused:
        if refused.reason == "unknown":
            return _unknown(request)
        return _error(REFUSAL_STATUS[refused.reason], refused.message)
    except ValidationError as invalid:
        return _error(422, "选票填写有误。", invalid.message_dict)
    return JsonResponse({"receipt": receipt})
