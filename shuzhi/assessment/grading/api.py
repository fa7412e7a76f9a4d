"""综合评定 API, to be mounted at /api/assessment/grading.

Same policies as the pages: a round out of sight answers 404, a visible round the caller may
not grade answers 403, and a service's ValidationError becomes a 422 with Chinese messages per
field. Lists are paginated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from shuzhi.assessment.grading import selectors as grading_selectors
from shuzhi.assessment.grading import services as grading_services
from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.grading.policies import (
    can_acknowledge,
    can_manage,
    load_round,
    load_row,
    ranking_scope_q,
)
from shuzhi.cycles.models import Round
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

router = Router(tags=["综合评定"])


class GradingIn(Schema):
    formula: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]
    policies: dict[str, Any] = {}


class GradingOut(Schema):
    id: int
    round_id: int
    formula: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]
    policies: dict[str, Any]
    status: str
    computed_at: Any = None
    locked_at: Any = None


class GradingRowOut(Schema):
    id: int
    reporter_id: int
    unit: str
    person: str
    composite: Decimal | None
    components: dict[str, Any]
    derivation: str
    suggested: str
    final: str
    reason: str
    disqualifiers: list[str]
    opinion: str
    rank: int | None
    is_current: bool
    superseded_by_id: int | None
    decided_at: Any = None
    acknowledged_at: Any = None

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.reporter.unit.name

    @staticmethod
    def resolve_person(obj) -> str:
        return obj.reporter.person.name if obj.reporter.person else ""


class RankOut(GradingRowOut):
    position: int
    round_id: int
    year: int

    @staticmethod
    def resolve_round_id(obj) -> int:
        return obj.grading.round_id

    @staticmethod
    def resolve_year(obj) -> int:
        return obj.grading.round.year


class GradingDecideIn(Schema):
    final: str
    reason: str = ""
    disqualifiers: list[str] | None = None
    opinion: str | None = None


class CorrectIn(Schema):
    final: str
    reason: str
    opinion: str | None = None


def _round(request, round_id: int, *, manage: bool = False) -> Round:
    return load_round(request.auth, round_id, manage=manage)


def _grading(rnd: Round) -> Grading:
    grading = grading_selectors.grading_of(rnd)
    if grading is None:
        raise Http404
    return grading


def _row(request, pk) -> GradeRow:
    return load_row(request.auth, pk)


@router.get("/rounds/{round_id}", response=GradingOut)
def grading_detail(request, round_id: int):
    return _grading(_round(request, round_id))


@router.put("/rounds/{round_id}", response=GradingOut)
def grading_save(request, round_id: int, payload: GradingIn):
    rnd = _round(request, round_id, manage=True)
    return grading_services.save_grading(
        actor=request.auth,
        round=rnd,
        formula=payload.formula,
        thresholds=payload.thresholds,
        policies=payload.policies,
    )


@router.get("/rounds/{round_id}/rows", response=list[GradingRowOut])
@paginate
def grading_rows(request, round_id: int, q: str = "", grade: str = ""):
    return grading_selectors.rows_of(_grading(_round(request, round_id)), text=q, grade=grade)


@router.post("/rounds/{round_id}/compute", response=GradingOut)
def grading_compute(request, round_id: int):
    grading = _grading(_round(request, round_id, manage=True))
    grading_services.compute_suggestions(actor=request.auth, grading=grading)
    grading.refresh_from_db()
    return grading


@router.post("/rounds/{round_id}/confirm", response=GradingOut)
def grading_confirm(request, round_id: int):
    grading = _grading(_round(request, round_id, manage=True))
    grading_services.confirm_grades(actor=request.auth, grading=grading)
    grading.refresh_from_db()
    return grading


@router.get("/rows/{pk}", response=GradingRowOut)
def row_detail(request, pk: int):
    return _row(request, pk)


@router.post("/rows/{pk}/decide", response=GradingRowOut)
def row_decide(request, pk: int, payload: GradingDecideIn):
    row = _row(request, pk)
    if not can_manage(request.auth, row.grading.round):
        raise PermissionDenied("您没有评定本次述职评议等次的权限。")
    return grading_services.decide_grade(
        actor=request.auth,
        row=row,
        final=payload.final,
        reason=payload.reason,
        disqualifiers=payload.disqualifiers,
        opinion=payload.opinion,
    )


@router.post("/rows/{pk}/correct", response=GradingRowOut)
def row_correct(request, pk: int, payload: CorrectIn):
    row = _row(request, pk)
    if not can_manage(request.auth, row.grading.round):
        raise PermissionDenied("您没有更正评定结果的权限。")
    return grading_services.correct_grade(
        actor=request.auth,
        row=row,
        final=payload.final,
        reason=payload.reason,
        opinion=payload.opinion,
    )


@router.post("/rows/{pk}/acknowledge", response=GradingRowOut)
def row_acknowledge(request, pk: int):
    row = _row(request, pk)
    if not can_acknowledge(request.auth, row):
        raise PermissionDenied("只有述职对象本人可以确认知悉评定结果。")
    return grading_services.acknowledge(actor=request.auth, row=row)


@router.get("/mine", response=list[GradingRowOut])
@paginate
def my_rows(request):
    return grading_selectors.own_rows(request.auth)


@router.get("/ranking", response=list[RankOut])
@paginate
def ranking(
    request,
    year: int | None = None,
    round: int | None = None,
    session: int | None = None,
    unit: int | None = None,
    order: str = "composite",
):
    subtree = ""
    if unit:
        target = load(Unit, request.auth, pk=unit)
        subtree = target.path
    if order not in grading_selectors.RANK_ORDERS:
        order = "composite"
    return grading_selectors.ranking(
        scope=ranking_scope_q(request.auth),
        year=year,
        round_id=round,
        session_id=session,
        subtree_path=subtree,
        order=order,
    )
