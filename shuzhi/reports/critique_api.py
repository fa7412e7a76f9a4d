"""Critiques and rectification plans API, mounted at /api/reports (sub-paths /critiques and
/plans).

Same policies as the pages: outside scope answers 404, visible but not allowed answers 403, a
service's ValidationError becomes 422 with Chinese messages per field (handlers in shuzhi.api).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.kernel.loader import load
from shuzhi.rectification.models import Problem

from . import critique_services, plan_services
from .critique_policies import (
    can_critique,
    can_review_plan,
    can_view_critique,
    can_view_plan,
    can_write_plan,
    critiques_visible_to,
    may_view_reporter,
)
from .models import Critique, CritiqueRole, RectificationPlan

router = Router(tags=["点评与整改方案"])


class ProblemOut(Schema):
    id: int
    serial: int
    description: str
    severity: str
    source: str
    status: str
    deadline: datetime.date | None
    unit_id: int
    year: int

    @staticmethod
    def resolve_source(obj):
        return obj.source.code


class CheckOut(Schema):
    code: str
    label: str
    ok: bool
    message: str


class DraftProblemOut(Schema):
    description: str
    severity: str
    deadline: datetime.date | None


class CritiqueOut(Schema):
    id: int
    reporter_id: int
    round_id: int
    unit_id: int
    author_label: str
    # Entered by someone else on the critic's behalf (代录), and who entered it.
    by_proxy: bool
    entered_by_label: str
    role: str
    portfolio: str
    text: str
    rating: str
    published: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    problems: list[ProblemOut]
    # Problems of a draft, entered in the ledger on publication (empty once published).
    draft_problems: list[DraftProblemOut]
    checks: list[CheckOut]
    flagged: bool

    @staticmethod
    def resolve_round_id(obj):
        return obj.reporter.round_id

    @staticmethod
    def resolve_unit_id(obj):
        return obj.reporter.unit_id

    @staticmethod
    def resolve_problems(obj):
        return list(obj.problems.all())

    @staticmethod
    def resolve_draft_problems(obj):
        return critique_services.draft_problems(obj)

    @staticmethod
    def resolve_checks(obj):
        return [check.__dict__ for check in _checks(obj)]

    @staticmethod
    def resolve_flagged(obj):
        return critique_services.is_flagged(_checks(obj))


def _checks(critique: Critique):
    cached = getattr(critique, "_checks", None)
    if cached is None:
        cached = critique_services.critique_checks(critique)
        critique._checks = cached  # type: ignore[attr-defined]
    return cached


class ProblemIn(Schema):
    id: int | None = None
    description: str
    severity: str = "general"
    deadline: datetime.date | None = None


class CritiqueIn(Schema):
    reporter_id: int
    text: str
    role: str = CritiqueRole.HOST_SECRETARY
    portfolio: str = ""
    rating: str = ""
    problems: list[ProblemIn] = []
    # The critic's name when the caller enters the critique on their behalf (代录).
    critic: str = ""


class CritiqueUpdate(Schema):
    text: str
    role: str = CritiqueRole.HOST_SECRETARY
    portfolio: str = ""
    rating: str = ""
    problems: list[ProblemIn] = []
    critic: str = ""


class CheckIn(Schema):
    text: str
    problems: list[ProblemIn] = []
    round_id: int | None = None


def _critiques():
    return Critique.objects.select_related("reporter__round").prefetch_related(
        Prefetch("problems", queryset=Problem.objects.select_related("source").order_by("serial"))
    )


def _critique(user, critique_id: int) -> Critique:
    return load(
        _critiques().select_related("reporter__round__host", "reporter__unit"),
        user,
        visible=can_view_critique,
        pk=critique_id,
    )


def _reporter(user, reporter_id: int, action: str) -> RoundReporter:
    return load(
        RoundReporter.objects.select_related("round__host", "unit"),
        user,
        visible=lambda user, found: may_view_reporter(user, action, found),
        pk=reporter_id,
    )


@router.get("/critiques", response=list[CritiqueOut])
@paginate(LimitOffsetPagination)
def list_critiques(request, round_id: int | None = None, reporter_id: int | None = None):
    """Critiques the caller may read, optionally of one round or one reporter."""
    critiques = critiques_visible_to(request.auth)
    if round_id is not None:
        critiques = critiques.filter(reporter__round_id=round_id)
    if reporter_id is not None:
        critiques = critiques.filter(reporter_id=reporter_id)
    return (
        critiques.select_related("reporter__round")
        .prefetch_related(
            Prefetch(
                "problems", queryset=Problem.objects.select_related("source").order_by("serial")
            )
        )
        .annotate(problem_count=Count("problems"))
        .order_by("reporter_id", "created_at", "id")
    )


@router.post("/critiques", response={201: CritiqueOut})
def create_critique(request, payload: CritiqueIn):
    """Write a critique; each named problem becomes a problem with source 上级点评."""
    reporter = _reporter(request.auth, payload.reporter_id, "critique.view")
    data = payload.dict()
    data.pop("reporter_id")
    critique = critique_services.save_critique(actor=request.auth, reporter=reporter, **data)
    return Status(201, _critique(request.auth, critique.pk))


@router.post("/critiques/check", response=list[CheckOut])
def check(request, payload: CheckIn):
    """The flag panel for a text and its problems (nothing is saved)."""
    thresholds: dict = {}
    if payload.round_id is not None:
        round = load(Round, request.auth, view="critique.view", pk=payload.round_id)
        thresholds = round.report_checks or {}
    problems = [p.dict() for p in payload.problems]
    return [
        c.__dict__ for c in critique_services.check_critique(payload.text, problems, thresholds)
    ]


@router.get("/critiques/{int:critique_id}", response=CritiqueOut)
def critique_detail(request, critique_id: int):
    return _critique(request.auth, critique_id)


@router.put("/critiques/{int:critique_id}", response=CritiqueOut)
def update_critique(request, critique_id: int, payload: CritiqueUpdate):
    """Replace the critique and its list of problems (rows with ``id`` update, rows without
    create, problems left out are removed while no work started on them)."""
    critique = _critique(request.auth, critique_id)
    if not can_critique(request.auth, critique.reporter):
        raise PermissionDenied("您没有权限修改该点评。")
    critique_services.save_critique(
        actor=request.auth, reporter=critique.reporter, critique=critique, **payload.dict()
    )
    return _critique(request.auth, critique_id)


@router.post("/critiques/{int:critique_id}/publish", response=CritiqueOut)
def publish(request, critique_id: int):
    critique = _critique(request.auth, critique_id)
    if not can_critique(request.auth, critique.reporter):
        raise PermissionDenied("您没有权限发布该点评。")
    critique_services.publish_critique(actor=request.auth, critique=critique)
    return _critique(request.auth, critique_id)


# --- Plans ----------------------------------------------------------------------------------


class PlanItem(Schema):
    problem: int
    measures: str = ""
    deadline: str = ""
    responsible_leader_name: str = ""
    responsible_person_name: str = ""
    responsible_department: str = ""


class PlanOut(Schema):
    id: int
    reporter_id: int
    status: str
    summary: str
    items: list[PlanItem]
    return_comment: str
    approved_at: datetime.datetime | None
    named_problems: list[int]
    open_issues: list[str]

    @staticmethod
    def resolve_named_problems(obj):
        return list(plan_services.named_problems(obj.reporter).values_list("pk", flat=True))

    @staticmethod
    def resolve_open_issues(obj):
        if obj.status not in plan_services.EDITABLE_STATUSES:
            return []
        return plan_services.submit_problems(obj)


class PlanCreate(Schema):
    include: list[int] = []


class PlanUpdate(Schema):
    summary: str | None = None
    items: list[PlanItem] | None = None


class ReturnIn(Schema):
    comment: str


def _plan_reporter(user, reporter_id: int) -> RoundReporter:
    return load(
        RoundReporter.objects.select_related("round__host", "unit"),
        user,
        visible=can_view_plan,
        pk=reporter_id,
    )


def _plan(user, reporter_id: int) -> RectificationPlan:
    reporter = _plan_reporter(user, reporter_id)
    plan = RectificationPlan.objects.filter(reporter=reporter).first()
    if plan is None:
        raise Http404
    plan.reporter = reporter
    return plan


@router.get("/plans/{int:reporter_id}", response=PlanOut)
def plan_detail(request, reporter_id: int):
    """The rectification plan of a reporter (404 while none is drafted)."""
    return _plan(request.auth, reporter_id)


@router.post("/plans/{int:reporter_id}", response={201: PlanOut})
def create_plan(request, reporter_id: int, payload: PlanCreate):
    """Draft the plan: one item per problem named by the round's critiques (+ ``include``)."""
    reporter = _plan_reporter(request.auth, reporter_id)
    if not can_write_plan(request.auth, reporter):
        raise PermissionDenied("您没有权限编制该单位的整改方案。")
    plan_services.draft_plan(actor=request.auth, reporter=reporter, include=payload.include)
    return Status(201, _plan(request.auth, reporter_id))


@router.patch("/plans/{int:reporter_id}", response=PlanOut)
def update_plan(request, reporter_id: int, payload: PlanUpdate):
    plan = _plan(request.auth, reporter_id)
    items = [item.dict() for item in payload.items] if payload.items is not None else None
    plan_services.update_plan(actor=request.auth, plan=plan, summary=payload.summary, items=items)
    return _plan(request.auth, reporter_id)


@router.post("/plans/{int:reporter_id}/submit", response=PlanOut)
def submit_plan(request, reporter_id: int):
    plan_services.submit_plan(actor=request.auth, plan=_plan(request.auth, reporter_id))
    return _plan(request.auth, reporter_id)


@router.post("/plans/{int:reporter_id}/approve", response=PlanOut)
def approve_plan(request, reporter_id: int):
    """Approve: items are written onto their problems, open ones move to 整改中."""
    plan = _plan(request.auth, reporter_id)
    if not can_review_plan(request.auth, plan.reporter):
        raise PermissionDenied("您没有权限审批该整改方案。")
    plan_services.approve_plan(actor=request.auth, plan=plan)
    return _plan(request.auth, reporter_id)


@router.post("/plans/{int:reporter_id}/return", response=PlanOut)
def return_plan(request, reporter_id: int, payload: ReturnIn):
    plan = _plan(request.auth, reporter_id)
    plan_services.return_plan(actor=request.auth, plan=plan, comment=payload.comment)
    return _plan(request.auth, reporter_id)
