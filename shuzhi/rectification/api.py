"""Problem API, mounted at /api/problems: record, read, edit, move, notes, evidence, history,
sources and year rollover. The ledger's list and summary are written in
``ledger_api.py``; the list is mounted here, since GET / and POST / must share one router.

Same policies as the pages: a problem outside scope answers 404, visible but not allowed
answers 403, a service's ValidationError becomes a 422 with Chinese messages per field.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from shuzhi.core import clock
from shuzhi.cycles.api import UnitRef
from shuzhi.kernel.loader import load
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree.models import Unit

from . import ledger_api, services
from .models import Problem, ProblemSource, ProgressNote
from .policies import can_manage_sources, can_view_sources

router = Router(tags=["问题整改"])


class SourceOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool
    builtin: bool


class ProblemOut(Schema):
    id: int
    unit: UnitRef
    year: int
    serial: int
    description: str
    source: SourceOut
    severity: str
    found_on: datetime.date
    responsible_leader_id: int | None
    responsible_leader_name: str
    responsible_person_id: int | None
    responsible_person_name: str
    responsible_department: str
    responsibility_kind: str
    measures: str
    deadline: datetime.date | None
    status: str
    status_label: str
    overdue: bool
    verifier_id: int | None
    verified_on: datetime.date | None
    verdict: str
    carried_from_id: int | None
    carried_to_id: int | None
    critique_id: int | None
    round_id: int | None

    @staticmethod
    def resolve_status_label(obj):
        return services.status_label(obj.status)

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue(clock.today())

    @staticmethod
    def resolve_carried_to_id(obj):
        carried = getattr(obj, "carried_to", None)
        return carried.pk if carried is not None else None


class ProblemIn(Schema):
    unit_id: int
    description: str
    source: str
    found_on: datetime.date
    year: int
    severity: str = "general"
    responsible_leader_id: int | None = None
    responsible_leader_name: str = ""
    responsible_person_id: int | None = None
    responsible_person_name: str = ""
    responsible_department: str = ""
    responsibility_kind: str = "principal"
    measures: str = ""
    deadline: datetime.date | None = None


class ProblemPatch(Schema):
    description: str | None = None
    source: str | None = None
    severity: str | None = None
    found_on: datetime.date | None = None
    responsible_leader_id: int | None = None
    responsible_leader_name: str | None = None
    responsible_person_id: int | None = None
    responsible_person_name: str | None = None
    responsible_department: str | None = None
    responsibility_kind: str | None = None
    measures: str | None = None
    deadline: datetime.date | None = None


class TransitionIn(Schema):
    to_status: str
    reason: str = ""
    verdict: str = ""


class NoteIn(Schema):
    on: datetime.date
    text: str


class NoteOut(Schema):
    id: int
    on: datetime.date
    text: str
    author_id: int | None
    created_at: datetime.datetime


class EvidenceOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    note: str
    uploaded_by_id: int | None
    uploaded_at: datetime.datetime


class TransitionOut(Schema):
    id: int
    from_status: str
    to_status: str
    actor_id: int | None
    actor_label: str
    at: datetime.datetime
    reason: str


class SourceIn(Schema):
    name: str


class CarryOverIn(Schema):
    from_year: int
    root_id: int | None = None


class CarryOverOut(Schema):
    from_year: int
    to_year: int
    carried: int


def _problem(user, problem_id: int) -> Problem:
    return load(Problem.objects.select_related("unit", "source", "carried_to"), user, pk=problem_id)


def _person(person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return get_object_or_404(Person, pk=person_id)


def _with_people(data: dict) -> dict:
    for field in ("responsible_leader", "responsible_person"):
        key = f"{field}_id"
        if key in data:
            data[field] = _person(data.pop(key))
    return data


@router.post("/", response={201: ProblemOut})
def create_problem(request, payload: ProblemIn):
    """Record a problem in a unit in scope (``source`` is a source code such as ``xuncha``)."""
    data = _with_people(payload.dict())
    unit = load(
        Unit,
        request.auth,
        "problem.create",
        view="problem.view",
        denied="您没有权限在该组织登记问题。",
        pk=data.pop("unit_id"),
    )
    problem = services.create_problem(actor=request.auth, unit=unit, **data)
    return Status(201, _problem(request.auth, problem.pk))


# ninja builds one URL pattern per path of each router, and the first pattern for a path
# answers every request to it: with GET / on the ledger's router and POST / here, one of them
# would get 405. So both methods of "/" are registered on this router, the list's code staying
# in ``ledger_api``.
router.get("/", response=list[ledger_api.ProblemRow], summary="问题台账列表")(
    ledger_api.list_problems
)


@router.get("/sources", response=list[SourceOut])
def list_sources(request):
    """The problem sources (active and switched off): for anyone who may view problems
    somewhere or manage the list — the same rule as the page ``/problems/sources/``."""
    user = request.auth
    if not can_view_sources(user):
        raise PermissionDenied("您没有权限查看问题来源。")
    return list(ProblemSource.objects.order_by("sort_order", "id"))


@router.post("/sources", response={201: SourceOut})
def add_source(request, payload: SourceIn):
    """Add a problem source (administrators of a top-level unit)."""
    if not can_manage_sources(request.auth):
        raise PermissionDenied("您没有权限管理问题来源。")
    return Status(201, services.add_source(actor=request.auth, name=payload.name))


@router.post("/carry-over", response=CarryOverOut)
def carry_over(request, payload: CarryOverIn):
    """Carry the items of ``from_year`` not closed into the next year (idempotent)."""
    root = None
    if payload.root_id is not None:
        root = load(Unit, request.auth, pk=payload.root_id)
    count = services.carry_over(actor=request.auth, from_year=payload.from_year, root=root)
    return {"from_year": payload.from_year, "to_year": payload.from_year + 1, "carried": count}


@router.get("/{int:problem_id}", response=ProblemOut)
def problem_detail(request, problem_id: int):
    return _problem(request.auth, problem_id)


@router.patch("/{int:problem_id}", response=ProblemOut)
def update_problem(request, problem_id: int, payload: ProblemPatch):
    """Change fields of the three lists (not the status: use ``/transition``)."""
    problem = _problem(request.auth, problem_id)
    data = _with_people(payload.dict(exclude_unset=True))
    services.update_problem(actor=request.auth, problem=problem, **data)
    return _problem(request.auth, problem_id)


@router.post("/{int:problem_id}/transition", response=ProblemOut)
def transition(request, problem_id: int, payload: TransitionIn):
    """Move the item along the status table (closing needs ``verdict`` and evidence)."""
    problem = _problem(request.auth, problem_id)
    services.transition(actor=request.auth, problem=problem, **payload.dict())
    return _problem(request.auth, problem_id)


@router.post("/{int:problem_id}/notes", response={201: NoteOut})
def add_note(request, problem_id: int, payload: NoteIn):
    problem = _problem(request.auth, problem_id)
    return Status(201, services.add_note(actor=request.auth, problem=problem, **payload.dict()))


@router.get("/{int:problem_id}/notes", response=list[NoteOut])
def list_notes(request, problem_id: int):
    problem = _problem(request.auth, problem_id)
    return list(ProgressNote.objects.filter(problem=problem).order_by("on", "id"))


@router.post("/{int:problem_id}/evidence", response={201: EvidenceOut})
def add_evidence(request, problem_id: int, file: File[UploadedFile], note: Form[str] = ""):
    """Upload an evidence file (multipart ``file``, optional ``note``)."""
    problem = _problem(request.auth, problem_id)
    evidence = services.add_evidence(actor=request.auth, problem=problem, upload=file, note=note)
    return Status(201, evidence)


@router.get("/{int:problem_id}/history", response=list[TransitionOut])
def history(request, problem_id: int):
    """Every status move of the item: who, when, why."""
    problem = _problem(request.auth, problem_id)
    return list(problem.transitions.order_by("at", "id"))
