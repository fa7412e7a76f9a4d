"""The year's plan API, mounted at /api/plan.

Same policies as the pages: lists are scoped (a draft is seen by the host's readers, a
published list also by the units below the host), a list out of sight answers 404, a visible
list the caller may not change answers 403, and a service's ValidationError becomes a 422 with
Chinese messages per field (a derived list breaking 层层加码 answers 422 with the rule cited).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit, UnitType
from shuzhi.yearplan.keytasks import checks, services
from shuzhi.yearplan.keytasks.models import KeyTask, TaskList
from shuzhi.yearplan.keytasks.policies import CHANGE, VIEW, can_list, can_read, visible_lists
from shuzhi.yearplan.progress import services as progress_services
from shuzhi.yearplan.progress.selectors import matrix

router = Router(tags=["年度重点任务"])
MATRIX_LIMIT = 500


class PlanUnitRef(Schema):
    id: int
    code: str
    name: str


class PlanListOut(Schema):
    id: int
    host: PlanUnitRef
    year: int
    title: str
    doc_number: str
    status: str
    version: int
    parent_list_id: int | None


class PlanTaskOut(Schema):
    id: int
    code: str
    title: str
    description: str
    applies_to: list[str]
    target_kind: str
    target_value: Decimal | None
    target_unit: str
    target_date: datetime.date | None
    weight: Decimal
    checkpoints: list[str]
    source: str
    indicator_id: int | None
    derived_from_id: int | None

    @staticmethod
    def resolve_applies_to(obj) -> list[str]:
        return [t.code for t in obj.applies_to.all()]


class PlanFindingOut(Schema):
    code: str
    severity: str
    message: str
    rule: str
    item_id: int | None


class PlanListDetailOut(PlanListOut):
    tasks: list[PlanTaskOut]
    findings: list[PlanFindingOut]


class PlanListIn(Schema):
    host_code: str
    year: int
    title: str
    doc_number: str = ""
    parent_list_id: int | None = None


class PlanTaskIn(Schema):
    code: str
    title: str
    description: str = ""
    applies_to: list[str]
    target_kind: str = "done"
    target_value: Decimal | None = None
    target_unit: str = ""
    target_date: datetime.date | None = None
    weight: Decimal = Decimal("10")
    checkpoints: list[str] = ["06-30", "10-31"]
    source: str = "manual"
    indicator_id: int | None = None
    derived_from_id: int | None = None
    reason: str = ""


class PlanProgressIn(Schema):
    task_id: int
    unit_code: str
    checkpoint: datetime.date
    value: Decimal | None = None
    state: str = ""
    note: str = ""


class PlanProgressOut(Schema):
    id: int
    task_id: int
    unit_id: int
    checkpoint: datetime.date
    value: Decimal | None
    state: str
    note: str


class PlanRowOut(Schema):
    """One unit's row; the lists run parallel to the matrix's tasks (``state`` is empty where
    the task does not apply to the unit's type)."""

    unit: PlanUnitRef
    states: list[str]
    figures: list[str]
    notices: list[str]
    counts: dict[str, int]


class PlanMatrixOut(Schema):
    checkpoint: datetime.date
    tasks: list[PlanTaskOut]
    total_units: int
    by_task: list[dict]
    rows: list[PlanRowOut]


class PlanNoticeIn(Schema):
    unit_codes: list[str]
    level: str
    checkpoint: datetime.date
    task_id: int | None = None
    note: str = ""


class PlanNoticeOut(Schema):
    id: int
    unit_id: int
    level: str
    level_name: str
    fix_by: datetime.date | None


def _list(user, list_id: int, action: str | None = None) -> TaskList:
    return load(
        TaskList.objects.select_related("host"),
        user,
        visible=can_read,
        allowed=(lambda u, obj: can_list(u, action, obj)) if action else None,
        pk=list_id,
    )


def _detail(user, task_list: TaskList) -> dict:
    tasks = list(task_list.tasks.prefetch_related("applies_to"))
    findings = services.findings_for(task_list, tasks) if can_list(user, CHANGE, task_list) else []
    return {
        "id": task_list.pk,
        "host": task_list.host,
        "year": task_list.year,
        "title": task_list.title,
        "doc_number": task_list.doc_number,
        "status": task_list.status,
        "version": task_list.version,
        "parent_list_id": task_list.parent_list_id,
        "tasks": tasks,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "rule": checks.rule_of(f),
                "item_id": f.item_id,
            }
            for f in findings
        ],
    }


def _unit(user, code: str, field: str = "unit_code") -> Unit:
    unit = Unit.objects.visible_to(user).filter(code=(code or "").strip()).first()
    if unit is None:
        raise ValidationError({field: "找不到该组织代码，或您无权查看该组织。"})
    return unit


@router.get("/lists", response=list[PlanListOut])
@paginate
def list_lists(request, year: int | None = None, q: str = ""):
    """The lists the caller may read; filter by year and host or title."""
    lists = visible_lists(request.auth).select_related("host").order_by("-year", "host__path")
    if year:
        lists = lists.filter(year=year)
    if q.strip():
        lists = lists.filter(title__icontains=q.strip())
    return lists


@router.post("/lists", response={201: PlanListDetailOut})
def create_list(request, payload: PlanListIn):
    """Create a list, or derive it from a published parent list (``parent_list_id``)."""
    parent = _list(request.auth, payload.parent_list_id) if payload.parent_list_id else None
    task_list = services.create_list(
        actor=request.auth,
        host=_unit(request.auth, payload.host_code, "host_code"),
        year=payload.year,
        title=payload.title,
        doc_number=payload.doc_number,
        parent_list=parent,
    )
    return Status(201, _detail(request.auth, task_list))


@router.get("/lists/{list_id}", response=PlanListDetailOut)
def get_list(request, list_id: int):
    return _detail(request.auth, _list(request.auth, list_id))


def _task_values(task_list: TaskList, payload: PlanTaskIn) -> dict:
    types = list(UnitType.objects.filter(code__in=payload.applies_to))
    if len(types) != len(set(payload.applies_to)):
        raise ValidationError({"applies_to": "组织类型代码不正确。"})
    values = payload.dict(exclude={"applies_to", "indicator_id", "derived_from_id", "reason"})
    values["indicator"] = (
        services.indicator_choices(task_list).filter(pk=payload.indicator_id).first()
        if payload.indicator_id
        else None
    )
    if payload.indicator_id and values["indicator"] is None:
        raise ValidationError(
            {"indicator": f"只能关联本级{task_list.year}年度考核指标体系中的指标。"}
        )
    values["derived_from"] = (
        KeyTask.objects.filter(pk=payload.derived_from_id).first()
        if payload.derived_from_id
        else None
    )
    values["applies_to"] = types
    values["reason"] = payload.reason
    return values


@router.post("/lists/{list_id}/tasks", response={201: PlanTaskOut})
def add_task(request, list_id: int, payload: PlanTaskIn):
    task_list = _list(request.auth, list_id, CHANGE)
    task = services.save_task(
        actor=request.auth, task_list=task_list, **_task_values(task_list, payload)
    )
    return Status(201, task)


@router.put("/lists/{list_id}/tasks/{task_id}", response=PlanTaskOut)
def change_task(request, list_id: int, task_id: int, payload: PlanTaskIn):
    """Change a task; on a published list ``reason`` is required (a new version)."""
    task_list = _list(request.auth, list_id, CHANGE)
    task = get_object_or_404(KeyTask, task_list=task_list, pk=task_id)
    return services.save_task(
        actor=request.auth, task_list=task_list, task=task, **_task_values(task_list, payload)
    )


@router.post("/lists/{list_id}/publish", response=PlanListDetailOut)
def publish(request, list_id: int):
    task_list = _list(request.auth, list_id, CHANGE)
    task_list = services.publish_list(actor=request.auth, task_list=task_list)
    return _detail(request.auth, task_list)


@router.get("/lists/{list_id}/matrix", response=PlanMatrixOut)
def get_matrix(
    request,
    list_id: int,
    checkpoint: datetime.date | None = None,
    q: str = "",
    only: str = "",
    sort: str = "",
    offset: int = 0,
    limit: int = 100,
):
    """The progress matrix tasks × units for one page of units (``limit`` at most 500)."""
    task_list = _list(request.auth, list_id, VIEW)
    m = matrix(
        task_list,
        request.auth,
        checkpoint=checkpoint,
        q=q.strip(),
        only=only,
        sort=sort,
        offset=max(offset, 0),
        limit=min(max(limit, 1), MATRIX_LIMIT),
    )
    return {
        "checkpoint": m.checkpoint,
        "tasks": m.tasks,
        "total_units": m.total_units,
        "by_task": m.by_task,
        "rows": [
            {
                "unit": r.unit,
                "states": [c.state if c.applies else "" for c in r.cells],
                "figures": [c.figure for c in r.cells],
                "notices": [c.notice for c in r.cells],
                "counts": r.counts,
            }
            for r in m.rows
        ],
    }


@router.post("/progress", response=PlanProgressOut)
def report_progress(request, payload: PlanProgressIn):
    """A unit's progress on a task at a checkpoint (once; a second call corrects it)."""
    unit = _unit(request.auth, payload.unit_code)
    task = KeyTask.objects.select_related("task_list").filter(pk=payload.task_id).first()
    if task is None or not can_read(request.auth, task.task_list):
        raise ValidationError({"task_id": "任务不存在或不在您的查看范围内。"})
    return progress_services.report_progress(
        actor=request.auth,
        task=task,
        unit=unit,
        checkpoint=payload.checkpoint,
        value=payload.value,
        state=payload.state,
        note=payload.note,
    )


@router.post("/lists/{list_id}/notices", response={201: list[PlanNoticeOut]})
def send_notices(request, list_id: int, payload: PlanNoticeIn):
    """Send one slip of the notice ladder to units of the list's scope."""
    task_list = _list(request.auth, list_id, CHANGE)
    units = list(Unit.objects.visible_to(request.auth).filter(code__in=payload.unit_codes))
    if len(units) != len(set(payload.unit_codes)):
        raise ValidationError({"unit_codes": "有组织代码不存在或不在您的查看范围内。"})
    task = task_list.tasks.filter(pk=payload.task_id).first() if payload.task_id else None
    if payload.task_id and task is None:
        raise ValidationError({"task_id": "任务不属于该清单。"})
    sent = progress_services.send_notices(
        actor=request.auth,
        task_list=task_list,
        units=units,
        level=payload.level,
        checkpoint=payload.checkpoint,
        task=task,
        note=payload.note,
    )
    return Status(201, sent)
