"""The rectification plan (整改方案): the reporter's unit answers the problems named in the
round, and the superior approves or returns the plan.

The unit drafts the plan (one item pre-filled per problem the round's critiques named for it,
plus other open problems of the unit that year if it chooses), fills in measures, deadline
and who answers for each item, and submits it. The superior (``report.review`` on the round's
host) approves it or returns it with a comment; a returned plan is edited and submitted again.

Approval is where the plan meets the ledger: each item's measures, deadline and responsible
names are written onto its problem through ``rectification.services.update_problem``, and a
problem still 待整改 moves to 整改中 through ``rectification.services.transition`` — an
approved plan means the work has started, so the ledger says so from that day (closed items
are left as they are). Everything happens in one transaction: if the ledger refuses one
item, nothing is applied and the plan stays submitted.

``transitions.PLAN`` is the one table of allowed moves, applied by the one engine
(:func:`shuzhi.core.transitions.apply`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from shuzhi.core import audit, clock, transitions
from shuzhi.core.notify import Message, notify_many
from shuzhi.core.transitions import Transition
from shuzhi.cycles.models import RoundReporter
from shuzhi.rectification import services as rect
from shuzhi.rectification.models import NOT_CLOSED_STATUSES, Problem, ProblemStatus
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.plans.policies import can_write_plan
from shuzhi.reports.reports.policies import users_who_can_write
from shuzhi.reports.transitions import PLAN

SUMMARY_MAX_LENGTH = 5000
MEASURES_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 50
DEPARTMENT_MAX_LENGTH = 100
ITEM_FIELDS = (
    "measures",
    "deadline",
    "responsible_leader_name",
    "responsible_person_name",
    "responsible_department",
)


# The unit edits its plan only while it is in its hands.
EDITABLE_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.RETURNED})


def _tell_writers(plan: RectificationPlan, *, actor, title: str, body: str = "") -> None:
    """Put a message about the superior's decision in the inbox of the plan's writers."""
    url = reverse("plan_detail", args=[plan.reporter_id])
    notify_many(
        Message(user_id=user_id, kind="plan.review", title=title, body=body, url=url)
        for user_id in users_who_can_write(plan.reporter, besides=actor)
    )


def _lock(plan: RectificationPlan) -> RectificationPlan:
    return PLAN.lock(plan)


# --- Which problems a plan answers ----------------------------------------------------------


def named_problems(reporter: RoundReporter) -> QuerySet[Problem]:
    """The problems the round's critiques named for this reporter (the plan must cover them)."""
    return Problem.objects.filter(critique__reporter=reporter).order_by("serial", "id")


def other_open_problems(reporter: RoundReporter) -> QuerySet[Problem]:
    """Other problems of the unit in the round's year not yet closed — the unit may add them."""
    return (
        Problem.objects.filter(
            unit=reporter.unit, year=reporter.round.year, status__in=NOT_CLOSED_STATUSES
        )
        .exclude(critique__reporter=reporter)
        .order_by("serial", "id")
    )


def item_for(problem: Problem) -> dict[str, Any]:
    """A plan item pre-filled from the problem's current ledger entry."""
    return {
        "problem": problem.pk,
        "measures": problem.measures,
        "deadline": problem.deadline.isoformat() if problem.deadline else "",
        "responsible_leader_name": problem.responsible_leader_name,
        "responsible_person_name": problem.responsible_person_name,
        "responsible_department": problem.responsible_department,
    }


# --- Writing --------------------------------------------------------------------------------


@transaction.atomic
def draft_plan(*, actor, reporter: RoundReporter, include: Iterable[int] = ()) -> RectificationPlan:
    """Start the unit's plan with one item per named problem (and the chosen open ones)."""
    if not can_write_plan(actor, reporter):
        raise PermissionDenied("您没有权限编制该单位的整改方案。")
    if RectificationPlan.objects.filter(reporter=reporter).exists():
        raise ValidationError({"__all__": "该述职对象已有整改方案。"})
    chosen = set(include)
    extra = list(other_open_problems(reporter).filter(pk__in=chosen)) if chosen else []
    if len(extra) != len(chosen):
        raise ValidationError({"items": "所选问题不属于本单位本年度的未销号问题。"})
    problems = list(named_problems(reporter)) + extra
    plan = RectificationPlan.objects.create(
        reporter=reporter, items=[item_for(problem) for problem in problems]
    )
    audit.record(
        actor=actor,
        action="plan.create",
        obj=plan,
        scope_path=reporter.unit.path,
        changes={"items": [None, len(plan.items)]},
    )
    return plan


def _clean_items(reporter: RoundReporter, plan: RectificationPlan, items: list[dict]) -> list[dict]:
    """Validate items; every error names its row (第 n 项)."""
    allowed = set(named_problems(reporter).values_list("pk", flat=True))
    allowed |= set(other_open_problems(reporter).values_list("pk", flat=True))
    allowed |= {item.get("problem") for item in plan.items}
    errors: list[str] = []
    cleaned: list[dict] = []
    seen: set[int] = set()
    for number, raw in enumerate(items, start=1):
        label = f"第 {number} 项"
        try:
            problem_id = int(raw.get("problem"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors.append(f"{label}：缺少对应的问题。")
            continue
        if problem_id not in allowed:
            errors.append(f"{label}：该问题不属于本单位本年度的问题清单。")
            continue
        if problem_id in seen:
            errors.append(f"{label}：同一问题重复列出。")
            continue
        seen.add(problem_id)
        item: dict[str, Any] = {"problem": problem_id}
        for name, limit, title in (
            ("measures", MEASURES_MAX_LENGTH, "整改措施"),
            ("responsible_leader_name", NAME_MAX_LENGTH, "责任领导"),
            ("responsible_person_name", NAME_MAX_LENGTH, "责任人"),
            ("responsible_department", DEPARTMENT_MAX_LENGTH, "责任部门"),
        ):
            value = str(raw.get(name) or "").strip()
            if len(value) > limit:
                errors.append(f"{label}：{title}不能超过 {limit} 个字符。")
            item[name] = value
        deadline = raw.get("deadline") or ""
        if isinstance(deadline, datetime.date):
            deadline = deadline.isoformat()
        else:
            try:
                deadline = (
                    datetime.date.fromisoformat(str(deadline)).isoformat() if deadline else ""
                )
            except ValueError:
                errors.append(f"{label}：完成时限应为日期，如 2027-03-31。")
        item["deadline"] = deadline
        cleaned.append(item)
    if errors:
        raise ValidationError({"items": errors})
    return cleaned


@transaction.atomic
def update_plan(
    *,
    actor,
    plan: RectificationPlan,
    summary: str | None = None,
    items: list[dict] | None = None,
) -> RectificationPlan:
    """Edit the summary and the items (the whole list) of a plan in the unit's hands."""
    plan = _lock(plan)
    if not can_write_plan(actor, plan.reporter):
        raise PermissionDenied("您没有权限修改该整改方案。")
    if plan.status not in EDITABLE_STATUSES:
        raise ValidationError({"status": f"整改方案{plan.get_status_display()}，不能再修改。"})
    before = audit.snapshot(plan, ["summary"])
    before_count = len(plan.items)
    if summary is not None:
        summary = summary.strip()
        if len(summary) > SUMMARY_MAX_LENGTH:
            raise ValidationError({"summary": f"总体思路不能超过 {SUMMARY_MAX_LENGTH} 个字符。"})
        plan.summary = summary
    if items is not None:
        plan.items = _clean_items(plan.reporter, plan, items)
    plan.save()
    changes = audit.diff(before, plan)
    if items is not None:
        changes["items"] = [before_count, len(plan.items)]
    audit.record(
        actor=actor,
        action="plan.update",
        obj=plan,
        scope_path=plan.reporter.unit.path,
        changes=changes,
    )
    return plan


def submit_problems(plan: RectificationPlan) -> list[str]:
    """What still stops the plan from being submitted (empty when it may be)."""
    errors: list[str] = []
    listed = {item.get("problem") for item in plan.items}
    missing = [p for p in named_problems(plan.reporter) if p.pk not in listed]
    for problem in missing:
        errors.append(f"点评指出的问题“{problem}”尚未列入整改方案。")
    if not plan.items:
        errors.append("整改方案至少要有一项整改事项。")
    today = clock.today()
    for number, item in enumerate(plan.items, start=1):
        if not str(item.get("measures") or "").strip():
            errors.append(f"第 {number} 项：请填写整改措施。")
        deadline = item.get("deadline") or ""
        if not deadline:
            errors.append(f"第 {number} 项：请填写完成时限。")
        elif datetime.date.fromisoformat(deadline) < today:
            errors.append(f"第 {number} 项：完成时限不能早于今天。")
        if not (item.get("responsible_leader_name") or item.get("responsible_person_name")):
            errors.append(f"第 {number} 项：请填写责任领导或责任人。")
    return errors


@transaction.atomic
def submit_plan(*, actor, plan: RectificationPlan) -> RectificationPlan:
    """Submit (or resubmit) the plan to the superior; every named problem must be covered and
    every item must have measures, a deadline and someone who answers for it."""

    def validate(plan: RectificationPlan, move: Transition) -> dict[str, Any]:
        errors = submit_problems(plan)
        if errors:
            raise ValidationError({"items": errors})
        return {}

    return transitions.apply(
        PLAN, actor=actor, obj=plan, to=PlanStatus.SUBMITTED, validate=validate, note=""
    )


@transaction.atomic
def return_plan(*, actor, plan: RectificationPlan, comment: str) -> RectificationPlan:
    """The superior sends the plan back with a comment."""
    comment = (comment or "").strip()

    def prepare(plan: RectificationPlan, move: Transition) -> None:
        plan.return_comment = comment

    plan = transitions.apply(
        PLAN,
        actor=actor,
        obj=plan,
        to=PlanStatus.RETURNED,
        reason=comment,
        prepare=prepare,
        update_fields=["return_comment"],
    )
    _tell_writers(
        plan,
        actor=actor,
        title=f"{plan.reporter.round.year}年度整改方案被退回，请修改后重新报送",
        body=f"修改意见：{comment}",
    )
    return plan


@transaction.atomic
def approve_plan(*, actor, plan: RectificationPlan) -> RectificationPlan:
    """The superior approves: the items are written onto their problems and open problems
    start (待整改 → 整改中). See the module docstring."""
    plan = _lock(plan)
    transitions.check(PLAN, actor=actor, obj=plan, to=PlanStatus.APPROVED)
    problems = Problem.objects.select_for_update().in_bulk([item["problem"] for item in plan.items])
    applied = started = 0
    for item in plan.items:
        problem = problems.get(item["problem"])
        if problem is None or problem.status == ProblemStatus.CLOSED:
            continue  # closed meanwhile (or removed): the ledger keeps what it has
        deadline = item.get("deadline") or None
        problem = rect.update_problem(
            actor=actor,
            problem=problem,
            measures=item.get("measures", ""),
            deadline=datetime.date.fromisoformat(deadline) if deadline else None,
            responsible_leader_name=item.get("responsible_leader_name", ""),
            responsible_person_name=item.get("responsible_person_name", ""),
            responsible_department=item.get("responsible_department", ""),
        )
        applied += 1
        if problem.status == ProblemStatus.OPEN:
            rect.transition(
                actor=actor,
                problem=problem,
                to_status=ProblemStatus.IN_PROGRESS,
                reason="整改方案已批准，开始整改。",
            )
            started += 1

    def prepare(plan: RectificationPlan, move: Transition) -> None:
        plan.approved_by = actor
        plan.approved_at = clock.now()
        plan.return_comment = ""

    plan = transitions.apply(
        PLAN,
        actor=actor,
        obj=plan,
        to=PlanStatus.APPROVED,
        note=f"写入问题台账 {applied} 项，其中 {started} 项转为整改中",
        prepare=prepare,
        update_fields=["approved_by", "approved_at", "return_comment"],
        locked=True,
    )
    _tell_writers(
        plan,
        actor=actor,
        title=f"{plan.reporter.round.year}年度整改方案已批准",
        body=f"方案中的 {applied} 项已写入问题台账，其中 {started} 项转为整改中。",
    )
    return plan
