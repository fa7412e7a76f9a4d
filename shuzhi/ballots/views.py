"""The organiser's ballot console for one session: rounds, codes, progress, close, count,
publish. Opening a round answers with its supervisors' shares, shown this once.

Thin views over :mod:`shuzhi.ballots.services`; a session out of sight (``round.view``) answers
404, in sight without ``ballot.manage`` 403; a refusal is shown as a message with the
service's Chinese reason.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from shuzhi.exports.responses import TEXT, attachment
from shuzhi.kernel.loader import load
from shuzhi.meetings.models import Session

from . import order, policies, selectors, services, tally
from .models import BallotRound, BallotRoundStatus


def _session(request: HttpRequest, session_id: int):
    # 404 outside what the user may see (round.view), 403 in sight without ballot.manage.
    return load(
        Session.objects.select_related("round__host"),
        request.user,
        allowed=policies.can_manage_session,
        denied="您没有管理此会议投票的权限。",
        pk=session_id,
    )


def _round(request: HttpRequest, pk: int) -> BallotRound:
    return tally.ballot_round_for(request.user, pk, "ballot.manage")


@login_required
@require_GET
def console(request: HttpRequest, session_id: int) -> HttpResponse:
    return _console(request, _session(request, session_id))


def _console(
    request: HttpRequest, session: Session, typed: dict[str, str] | None = None
) -> HttpResponse:
    """The console; ``typed`` is what the opening form held when it was refused, shown again
    with the reason beside it (nothing typed is lost)."""
    rounds = selectors.session_rounds(session)
    for progress in rounds:
        pk = progress.round.pk
        progress.links = {  # type: ignore[attr-defined]
            "slips": reverse("ballot_slips", args=[pk]),
            "hall": reverse("ballot_hall", args=[pk]),
            "paper": reverse("ballot_paper", args=[pk]),
            "xlsx": reverse("ballot_export_xlsx", args=[pk]),
            "docx": reverse("ballot_result_docx", args=[pk]),
        }
        if progress.round.status == BallotRoundStatus.OPEN and not progress.round.is_test:
            # The guard on closing, said before anyone clicks (the service says it again).
            turnout = order.turnout_of(progress.round, progress.ballots)
            progress.turnout_note = turnout.note  # type: ignore[attr-defined]
    has_open = any(p.round.status == BallotRoundStatus.OPEN for p in rounds)
    has_formal = any(not p.round.is_test for p in rounds)
    typed = typed or {}
    return render(
        request,
        "ballots/console.html",
        {
            "session": session,
            "rounds": rounds,
            "has_open": has_open,
            "has_formal": has_formal,
            "quorum": services.quorum_message(session),
            # The guard on opening a formal ballot, said before anyone clicks.
            "agenda_note": ""
            if has_open
            else order.agenda_note(order.unfinished_speakers(session)),
            "typed": typed,
            "supervisors": typed.get("supervisors", "监票人一\n监票人二\n监票人三"),
            "threshold": typed.get("threshold", "2"),
        },
        status=422 if typed else 200,
    )


def _act(request: HttpRequest, session_id: int, action: Callable[[], str]) -> HttpResponse:
    try:
        messages.success(request, action())
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "没有权限。")
    return redirect("ballot_console", session_id=session_id)


def _supervisors(request: HttpRequest) -> tuple[list[str] | None, int | None]:
    """The supervisors' names (one a line) and the number needed to count, as typed; none
    typed is the single-supervisor mode."""
    names = [n.strip() for n in request.POST.get("supervisors", "").splitlines() if n.strip()]
    raw = request.POST.get("threshold", "").strip()
    if raw and not raw.isdigit():
        raise ValidationError({"threshold": "开箱所需人数必须是整数。"})
    return (names or None), (int(raw) if raw else None)


@login_required
@require_POST
def open_round(request: HttpRequest, session_id: int) -> HttpResponse:
    """Open a round and show each supervisor's share, once: the page is the only place the
    shares ever appear (never stored, never cached; reloading it cannot open a second round
    while this one is open)."""
    session = _session(request, session_id)
    is_test = request.POST.get("is_test") == "1"
    try:
        names, threshold = _supervisors(request)
        rnd = services.open_round(
            actor=request.user,
            session=session,
            is_test=is_test,
            supervisors=names,
            threshold=threshold,
            override_reason=request.POST.get("override_reason", ""),
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        # The console again with what was typed, so a reason can be added without retyping.
        typed = {
            key: request.POST.get(key, "")
            for key in ("supervisors", "threshold", "override_reason", "is_test")
        }
        return _console(request, session, typed=typed)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "没有权限。")
        return redirect("ballot_console", session_id=session.pk)
    shares = [
        {"number": s.number, "name": s.name, "share": s.share, "qr": _qr(s.share)}
        for s in rnd.shares  # type: ignore[attr-defined]
    ]
    response = render(
        request,
        "ballots/shares.html",
        {"session": session, "round": rnd, "shares": shares, "threshold": rnd.seal_threshold},
    )
    add_never_cache_headers(response)
    return response


def _qr(text: str) -> str:
    """The share as a QR code (an SVG data URI) for a supervisor's phone to photograph."""
    return str(segno.make(text, error="m", micro=False).svg_data_uri(scale=4, border=2))


def _shares(request: HttpRequest) -> list[str]:
    return [s for s in request.POST.getlist("share") if s.strip()]


@login_required
@require_POST
def issue_codes(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    raw = request.POST.get("margin", "").strip()

    def run() -> str:
        if raw and not raw.isdigit():
            raise ValidationError({"margin": "备用数量必须是非负整数。"})
        margin = int(raw) if raw else None
        codes = services.issue_codes(actor=request.user, ballot_round=rnd, margin=margin)
        return f"已发放 {len(codes)} 个投票码，请打印投票卡。"

    return _act(request, rnd.session_id, run)


@login_required
@require_POST
def close_round(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    shares = _shares(request)

    def run() -> str:
        closed = services.close_round(
            actor=request.user,
            ballot_round=rnd,
            shares=shares or None,
            reason=request.POST.get("reason", ""),
        )
        if closed.status == BallotRoundStatus.VOID:
            raise ValidationError(f"第{closed.number}轮投票已结束：{closed.void_reason}。")
        if closed.sealed:
            return f"第{closed.number}轮投票已结束，选票待监票人开箱计票。"
        return f"第{closed.number}轮投票已结束，监票人已开箱计票。"

    return _act(request, rnd.session_id, run)


@login_required
@require_POST
def unseal_round(request: HttpRequest, pk: int) -> HttpResponse:
    """开箱计票: the supervisors type their shares; the sealed ballots are counted."""
    rnd = _round(request, pk)
    shares = _shares(request)

    def run() -> str:
        counted = services.unseal_round(actor=request.user, ballot_round=rnd, shares=shares)
        return f"第{counted.number}轮选票已开箱计票。"

    return _act(request, rnd.session_id, run)


@login_required
@require_POST
def publish_round(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)

    def run() -> str:
        services.publish_round(actor=request.user, ballot_round=rnd)
        return f"第{rnd.number}轮投票结果已公布。"

    return _act(request, rnd.session_id, run)


@login_required
@require_GET
def receipts(request: HttpRequest, pk: int) -> HttpResponse:
    """The counted receipt codes, one a line, for printing or posting after the round."""
    rnd = _round(request, pk)
    try:
        codes = services.counted_receipts(rnd)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("ballot_console", session_id=rnd.session_id)
    header = f"{rnd.session} 第{rnd.number}轮 已计入的回执码（共 {len(codes)} 个）\n"
    return attachment(
        header + "\n".join(codes) + "\n", filename=f"receipts-{rnd.pk}.txt", content_type=TEXT
    )
