"""Ballot management API: open, close, count and publish rounds, issue codes, read progress
and the counted receipts. Opening answers with the supervisors' shares, that once.
Scoped by ``ballot.manage`` on the host unit: a session or round outside scope answers 404;
refusals of the services answer 403 / 422 (handlers in ``shuzhi.api``)."""

from __future__ import annotations

import datetime

from ninja import Router, Schema, Status

from shuzhi.kernel.loader import load
from shuzhi.meetings.models import Session

from . import policies, selectors, services, tally
from .models import BallotRound

router = Router(tags=["ballots"])


class BallotCategoryOut(Schema):
    code: str
    label: str
    expected: int
    issued: int
    # Codes used in the category: absent while the round is open (a count per category, read
    # after each vote, would tell which category each voter belongs to); ``ballots`` is the
    # total.
    used: int | None = None


class BallotRoundOut(Schema):
    id: int
    session_id: int
    number: int
    is_test: bool
    status: str
    opened_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    void_reason: str
    sealed: bool
    seal_threshold: int
    supervisors: list[str]
    ballots: int
    categories: list[BallotCategoryOut]


class SupervisorShareOut(Schema):
    number: int
    name: str
    share: str


class OpenedRoundOut(BallotRoundOut):
    shares: list[SupervisorShareOut]


class OpenIn(Schema):
    is_test: bool = False
    supervisors: list[str] | None = None
    threshold: int | None = None
    # Why a formal ballot opens before every live reporter has finished (recorded in the audit).
    override_reason: str = ""


class CloseIn(Schema):
    # Why a formal ballot closes under the round's turnout (recorded in the audit).
    reason: str = ""


class SharesIn(Schema):
    shares: list[str]


class BallotCodesIn(Schema):
    margin: int | None = None


class CodeOut(Schema):
    code: str
    category: str


def _round_out(progress: selectors.RoundProgress) -> dict:
    rnd = progress.round
    return {
        "id": rnd.pk,
        "session_id": rnd.session_id,
        "number": rnd.number,
        "is_test": rnd.is_test,
        "status": rnd.status,
        "opened_at": rnd.opened_at,
        "closed_at": rnd.closed_at,
        "void_reason": rnd.void_reason,
        "sealed": rnd.sealed,
        "seal_threshold": rnd.seal_threshold,
        "supervisors": [s.name for s in rnd.supervisors.all()],
        "ballots": progress.ballots,
        "categories": [
            c.__dict__ if progress.by_category else {**c.__dict__, "used": None}
            for c in progress.categories
        ],
    }


def _session(request, session_id: int):
    # As on the pages: 404 out of sight (round.view), 403 in sight without ballot.manage.
    return load(
        Session.objects.select_related("round__host"),
        request.auth,
        allowed=policies.can_manage_session,
        denied="您没有管理此会议投票的权限。",
        pk=session_id,
    )


def _round(request, pk: int) -> BallotRound:
    return tally.ballot_round_for(request.auth, pk, "ballot.manage")


def _progress(ballot_round: BallotRound) -> dict:
    rows = selectors.session_rounds(ballot_round.session)
    return _round_out(next(p for p in rows if p.round.pk == ballot_round.pk))


@router.get(
    "/sessions/{session_id}/rounds", response=list[BallotRoundOut], summary="会议的投票轮次"
)
def session_rounds(request, session_id: int):
    return [_round_out(p) for p in selectors.session_rounds(_session(request, session_id))]


@router.post(
    "/sessions/{session_id}/rounds",
    response={201: OpenedRoundOut},
    summary="开始投票（测试或正式）；返回各监票人的份额，仅此一次",
)
def open_round(request, session_id: int, payload: OpenIn):
    session = _session(request, session_id)
    rnd = services.open_round(
        actor=request.auth,
        session=session,
        is_test=payload.is_test,
        supervisors=payload.supervisors,
        threshold=payload.threshold,
        override_reason=payload.override_reason,
    )
    shares = [s.__dict__ for s in rnd.shares]  # type: ignore[attr-defined]
    return Status(201, _progress(rnd) | {"shares": shares})


@router.get("/rounds/{pk}", response=BallotRoundOut, summary="投票轮次与进度")
def round_detail(request, pk: int):
    return _progress(_round(request, pk))


@router.post("/rounds/{pk}/codes", response={201: list[CodeOut]}, summary="发放投票码")
def issue_codes(request, pk: int, payload: BallotCodesIn):
    codes = services.issue_codes(
        actor=request.auth, ballot_round=_round(request, pk), margin=payload.margin
    )
    return Status(201, [{"code": c.code, "category": c.category} for c in codes])


@router.post("/rounds/{pk}/close", response=BallotRoundOut, summary="结束投票（选票待开箱计票）")
def close_round(request, pk: int, payload: CloseIn | None = None):
    """Close the vote; under the round's turnout a formal ballot needs a ``reason`` (422
    otherwise, with the turnout and what it asks for in Chinese)."""
    reason = payload.reason if payload is not None else ""
    return _progress(
        services.close_round(actor=request.auth, ballot_round=_round(request, pk), reason=reason)
    )


@router.post("/rounds/{pk}/unseal", response=BallotRoundOut, summary="开箱计票（监票人份额）")
def unseal_round(request, pk: int, payload: SharesIn):
    return _progress(
        services.unseal_round(
            actor=request.auth, ballot_round=_round(request, pk), shares=payload.shares
        )
    )


@router.post("/rounds/{pk}/publish", response=BallotRoundOut, summary="公布结果")
def publish_round(request, pk: int):
    return _progress(services.publish_round(actor=request.auth, ballot_round=_round(request, pk)))


@router.get("/rounds/{pk}/receipts", response=list[str], summary="已计入的回执码")
def receipts(request, pk: int):
    return services.counted_receipts(_round(request, pk))


# Tallies, progress and exports.
router.add_router("", "shuzhi.ballots.tally_api.router")
