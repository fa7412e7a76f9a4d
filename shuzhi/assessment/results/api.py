"""结果运用 API, mounted at /api/assessment/results.

Same policies as the pages: lists are scoped, an object outside scope answers 404, a visible one
the caller may not change answers 403, and a service's ValidationError becomes a 422 with
Chinese messages per field.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from shuzhi.assessment.grading.models import Grading
from shuzhi.assessment.results import circular as documents
from shuzhi.assessment.results import policies as rp
from shuzhi.assessment.results import services as rs
from shuzhi.assessment.results.models import Circular, ConsequenceRule, FollowUp
from shuzhi.cycles.models import Round
from shuzhi.exports.responses import DOCX, XLSX, attachment
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

router = Router(tags=["考核结果运用"])


class RuleOut(Schema):
    grade: str
    grade_label: str
    commend: bool
    talk: bool
    talk_by: str
    talk_within_days: int
    rectify: bool
    rectify_within_days: int
    criticise: bool
    note: str
    summary: str
    saved: bool

    @staticmethod
    def resolve_saved(obj: ConsequenceRule) -> bool:
        return obj.pk is not None


class RuleIn(Schema):
    grade_label: str | None = None
    commend: bool | None = None
    talk: bool | None = None
    talk_by: str | None = None
    talk_within_days: int | None = None
    rectify: bool | None = None
    rectify_within_days: int | None = None
    criticise: bool | None = None
    note: str | None = None


class FollowUpOut(Schema):
    id: int
    round_id: int
    grade_row_id: int
    kind: str
    unit: str
    unit_code: str
    grade: str
    grade_label: str
    conducted_by: str
    conductor: str | None
    conductor_user_id: int | None
    with_person: str | None
    due_on: datetime.date | None
    problem_id: int | None
    notes: str
    status: str
    done_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    cancel_reason: str

    @staticmethod
    def resolve_unit(obj: FollowUp) -> str:
        return obj.reporter.unit.name

    @staticmethod
    def resolve_unit_code(obj: FollowUp) -> str:
        return obj.reporter.unit.code

    @staticmethod
    def resolve_conductor(obj: FollowUp) -> str | None:
        return obj.conductor.name if obj.conductor else None

    @staticmethod
    def resolve_with_person(obj: FollowUp) -> str | None:
        return obj.with_person.name if obj.with_person else None


class DoneIn(Schema):
    notes: str = ""
    done_on: datetime.date | None = None


class ScheduleIn(Schema):
    due_on: datetime.date | None = None
    notes: str | None = None


class CancelIn(Schema):
    reason: str


class SectionOut(Schema):
    code: str
    heading: str
    text: str


class CircularOut(Schema):
    id: int
    round_id: int
    title: str
    doc_number: str
    issuer: str
    signed_on: datetime.date | None
    sections: list[SectionOut]
    data: dict[str, Any]
    scope_units: list[str]
    scope_levels: list[str]
    scope_text: str
    status: str
    issued_at: datetime.datetime | None

    @staticmethod
    def resolve_scope_units(obj: Circular) -> list[str]:
        return [unit.code for unit in obj.scope_units.all()]


class CircularIn(Schema):
    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    signed_on: datetime.date | None = None
    sections: dict[str, str] | None = None
    scope_unit_codes: list[str] | None = None
    scope_levels: list[str] | None = None
    scope_text: str | None = None


def _host(user, host_id: int) -> Unit:
    return load(Unit, user, view="round.view", pk=host_id)


def _follow_up(user, pk: int) -> FollowUp:
    return load(
        FollowUp.objects.select_related(
            "round__host", "reporter__unit", "conductor", "with_person"
        ),
        user,
        pk=pk,
    )


def _circular(user, pk: int) -> Circular:
    return load(Circular.objects.select_related("round__host"), user, pk=pk)


def _round(user, pk: int):
    return load(Round.objects.select_related("host"), user, pk=pk)


@router.get("/rules/{host_id}", response=list[RuleOut])
def list_rules(request, host_id: int):
    """The host's consequences table (defaults for grades without a stored rule)."""
    return rs.effective_rules(_host(request.auth, host_id))


@router.put("/rules/{host_id}/{grade}", response=RuleOut)
def put_rule(request, host_id: int, grade: str, payload: RuleIn):
    values = payload.dict(exclude_none=True)
    return rs.save_rule(
        actor=request.auth, host=_host(request.auth, host_id), grade=grade, **values
    )


@router.get("/follow-ups", response=list[FollowUpOut])
@paginate
def list_follow_ups(
    request,
    round: int | None = None,
    kind: str = "",
    status: str = "",
    q: str = "",
    mine: bool = False,
):
    """Follow-ups in the caller's scope (and the talks they hold), oldest deadline first."""
    if not rp.may_list(request.auth):
        raise PermissionDenied("您没有权限查看考核结果运用。")
    rows = rp.visible_follow_ups(request.auth).select_related(
        "reporter__unit", "conductor", "with_person"
    )
    if round:
        rows = rows.filter(round_id=round)
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if q.strip():
        rows = rows.filter(reporter__unit__name__icontains=q.strip())
    if mine:
        rows = rows.filter(conductor_user_id=request.auth.pk)
    return rows.order_by("status", "due_on", "id")


@router.get("/follow-ups/{pk}", response=FollowUpOut)
def get_follow_up(request, pk: int):
    return _follow_up(request.auth, pk)


@router.post("/follow-ups/{pk}/done", response=FollowUpOut)
def follow_up_done(request, pk: int, payload: DoneIn):
    follow_up = _follow_up(request.auth, pk)
    rs.complete_follow_up(
        actor=request.auth, follow_up=follow_up, notes=payload.notes, done_on=payload.done_on
    )
    return _follow_up(request.auth, pk)


@router.post("/follow-ups/{pk}/schedule", response=FollowUpOut)
def follow_up_schedule(request, pk: int, payload: ScheduleIn):
    follow_up = _follow_up(request.auth, pk)
    rs.schedule_follow_up(
        actor=request.auth, follow_up=follow_up, due_on=payload.due_on, notes=payload.notes
    )
    return _follow_up(request.auth, pk)


@router.post("/follow-ups/{pk}/cancel", response=FollowUpOut)
def follow_up_cancel(request, pk: int, payload: CancelIn):
    follow_up = _follow_up(request.auth, pk)
    rs.cancel_follow_up(actor=request.auth, follow_up=follow_up, reason=payload.reason)
    return _follow_up(request.auth, pk)


@router.get("/rounds/{round_id}/circulars", response=list[CircularOut])
def list_circulars(request, round_id: int):
    round_ = _round(request.auth, round_id)
    return Circular.objects.filter(round=round_).prefetch_related("scope_units").order_by("-id")


@router.post("/rounds/{round_id}/circulars", response={201: CircularOut})
def create_circular(request, round_id: int):
    circular = rs.create_circular(actor=request.auth, round_=_round(request.auth, round_id))
    return Status(201, circular)


@router.get("/rounds/{round_id}/grades.xlsx")
def grades_export(request, round_id: int):
    round_ = _round(request.auth, round_id)
    if not Grading.objects.filter(round=round_, status="confirmed").exists():
        raise Http404
    return attachment(
        documents.grades_xlsx(round_), filename=f"grades-{round_.year}.xlsx", content_type=XLSX
    )


@router.get("/circulars/{pk}", response=CircularOut)
def get_circular(request, pk: int):
    return _circular(request.auth, pk)


@router.patch("/circulars/{pk}", response=CircularOut)
def patch_circular(request, pk: int, payload: CircularIn):
    circular = _circular(request.auth, pk)
    values: dict[str, Any] = payload.dict(exclude_unset=True)
    codes = values.pop("scope_unit_codes", None)
    if codes is not None:
        units = list(Unit.objects.visible_to(request.auth).filter(code__in=codes))
        missing = sorted(set(codes) - {u.code for u in units})
        if missing:
            raise ValidationError(
                {"scope_unit_codes": f"找不到这些组织代码或无权查看：{'、'.join(missing)}。"}
            )
        values["scope_units"] = [u.pk for u in units]
    rs.update_circular(actor=request.auth, circular=circular, **values)
    return _circular(request.auth, pk)


@router.post("/circulars/{pk}/regenerate", response=CircularOut)
def regenerate_circular(request, pk: int):
    return rs.regenerate_circular(actor=request.auth, circular=_circular(request.auth, pk))


@router.post("/circulars/{pk}/issue", response=CircularOut)
def issue_circular(request, pk: int):
    return rs.issue_circular(actor=request.auth, circular=_circular(request.auth, pk))


@router.get("/circulars/{pk}/docx")
def circular_docx(request, pk: int):
    circular = _circular(request.auth, pk)
    return attachment(
        documents.build_docx(circular), filename=f"circular-{circular.pk}.docx", content_type=DOCX
    )
