"""Rectification plans API, mounted at /api/reports/plans.

Same policies as the pages: outside scope answers 404, visible but not allowed answers 403, a
service's ValidationError becomes 422 with Chinese messages per field (handlers in shuzhi.api).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema, Status

from shuzhi.cycles.models import RoundReporter
from shuzhi.kernel.loader import load
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.models import RectificationPlan
from shuzhi.reports.plans.policies import (
    can_review_plan,
    can_view_plan,
    can_write_plan,
    readable_plan,
)

router = Router(tags=["点评与整改方案"])


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
    plan = readable_plan(user, reporter)  # a draft out of the reader's circle reads as none
    if plan is None:
        raise Http404
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
