"""Rounds API, mounted at /api/rounds.

Same policies as the pages: lists are scoped, a round outside scope answers 404, a visible
round the caller may not change answers 403, and a service's ValidationError becomes a 422
with Chinese messages per field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import BinaryIO, cast

from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from shuzhi.kernel.loader import load
from shuzhi.orgs.imports.tabular import TabularError, read_table
from shuzhi.orgs.people import policies as people_policies
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree.models import Unit, UnitType

from . import selectors, services
from .models import Round, RoundReporter

router = Router(tags=["年度述职评议"])


class UnitRef(Schema):
    id: int
    code: str
    name: str


class PersonRef(Schema):
    id: int
    name: str


class ReporterOut(Schema):
    id: int
    unit: UnitRef
    person: PersonRef | None
    sort_order: int


class RoundOut(Schema):
    id: int
    host: UnitRef
    year: int
    title: str
    status: str
    scale: list[dict]
    categories: list[dict]
    sub_items: list[dict]
    quotas: dict
    quorum_ratio: Decimal
    close_turnout: Decimal | None
    min_ballots: int
    live_rotation_years: int
    schedule_override_reason: str
    report_topics: list[dict]
    report_checks: dict
    report_due: datetime.date | None


class SessionRef(Schema):
    id: int
    title: str
    date: str
    status: str

    @staticmethod
    def resolve_date(obj) -> str:
        return obj.date.isoformat()


class RoundDetailOut(RoundOut):
    reporters: list[ReporterOut]
    sessions: list[SessionRef]


class RoundIn(Schema):
    host_code: str
    year: int
    title: str = ""


class RoundPatch(Schema):
    title: str | None = None
    scale: list[dict] | None = None
    categories: list[dict] | None = None
    sub_items: list[dict] | None = None
    quotas: dict | None = None
    quorum_ratio: Decimal | None = None
    close_turnout: Decimal | None = None
    min_ballots: int | None = None
    live_rotation_years: int | None = None
    report_topics: list[dict] | None = None
    report_checks: dict | None = None
    # ``null`` clears the deadline; leaving the field out keeps it.
    report_due: datetime.date | None = None
    status: str | None = None


class RoundCodesIn(Schema):
    codes: list[str]


class TypeIn(Schema):
    type_code: str
    direct_only: bool = True


class RoundPersonIn(Schema):
    person_id: int | None


class RoundRowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    added: list[ReporterOut]
    errors: list[RoundRowErrorOut]


def _round(user, round_id: int, *, change: bool = False) -> Round:
    return load(
        Round.objects.select_related("host"),
        user,
        "round.change" if change else None,
        denied="您没有权限修改该年度述职评议。",
        pk=round_id,
    )


def _detail(round: Round) -> dict:
    data = RoundOut.from_orm(round).dict()
    data["host"] = round.host
    data["reporters"] = list(selectors.reporters_of(round))
    data["sessions"] = list(round.sessions.order_by("date", "id"))
    return data


@router.get("/", response=list[RoundOut])
@paginate
def list_rounds(request, q: str = "", year: int | None = None):
    """Rounds in the caller's scope; ``q`` matches the host's name or code, ``year`` the year."""
    return selectors.round_list(request.auth, text=q.strip(), year=year)


@router.post("/", response={201: RoundDetailOut})
def create_round(request, payload: RoundIn):
    """Create the round of the host with ``host_code`` for ``year`` (default policies)."""
    host = load(Unit, request.auth, code=payload.host_code.strip())
    round = services.create_round(
        actor=request.auth, host=host, year=payload.year, title=payload.title
    )
    return Status(201, _detail(round))


@router.get("/{int:round_id}", response=RoundDetailOut)
def round_detail(request, round_id: int):
    """A round with its policies, reporters and sessions."""
    return _detail(_round(request.auth, round_id))


@router.patch("/{int:round_id}", response=RoundDetailOut)
def update_round(request, round_id: int, payload: RoundPatch):
    """Change the round's name and policies (validated together), or its status."""
    round = _round(request.auth, round_id, change=True)
    data = payload.dict(exclude_unset=True)
    status = data.pop("status", None)
    if data:
        round = services.update_round(actor=request.auth, round=round, **data)
    if status:
        round = services.transition_round(actor=request.auth, round=round, status=status)
    return _detail(round)


@router.get("/{int:round_id}/reporters", response=list[ReporterOut])
def list_reporters(request, round_id: int):
    return list(selectors.reporters_of(_round(request.auth, round_id)))


@router.post("/{int:round_id}/reporters", response={201: list[ReporterOut]})
def add_reporters(request, round_id: int, payload: RoundCodesIn):
    """Add units by code (every bad code is reported; nothing partial is added)."""
    round = _round(request.auth, round_id, change=True)
    return Status(
        201, services.add_reporters_by_codes(actor=request.auth, round=round, codes=payload.codes)
    )


@router.post("/{int:round_id}/reporters/from-type", response={201: list[ReporterOut]})
def add_reporters_by_type(request, round_id: int, payload: TypeIn):
    """Add every unit of a type below the host (direct children by default)."""
    round = _round(request.auth, round_id, change=True)
    unit_type = get_object_or_404(UnitType, code=payload.type_code)
    added = services.add_reporters_by_type(
        actor=request.auth, round=round, type=unit_type, direct_only=payload.direct_only
    )
    return Status(201, added)


@router.post("/{int:round_id}/reporters/import", response={200: ImportOut, 422: ImportOut})
def import_reporters(request, round_id: int, file: File[UploadedFile]):
    """Add the units listed in a CSV/XLSX file (column ``code``); bad rows come back numbered."""
    round = _round(request.auth, round_id, change=True)
    try:
        table = read_table(file.name or "", cast(BinaryIO, file.file))
        added, errors = services.import_reporters(actor=request.auth, round=round, table=table)
    except TabularError as exc:
        return Status(422, {"added": [], "errors": [{"row": 0, "column": "", "message": str(exc)}]})
    if errors:
        return Status(422, {"added": [], "errors": errors})
    return {"added": added, "errors": []}


def _reporter(request, round_id: int, reporter_id: int) -> RoundReporter:
    round = _round(request.auth, round_id, change=True)
    reporter = get_object_or_404(
        RoundReporter.objects.select_related("unit", "person"), round=round, pk=reporter_id
    )
    reporter.round = round
    return reporter


@router.patch("/{int:round_id}/reporters/{int:reporter_id}", response=ReporterOut)
def set_reporter_person(request, round_id: int, reporter_id: int, payload: RoundPersonIn):
    """Put another person in as the reporter (``person_id`` null clears it)."""
    reporter = _reporter(request, round_id, reporter_id)
    person = None
    if payload.person_id is not None:
        person = (
            people_policies.people_visible_to(request.auth).filter(pk=payload.person_id).first()
        )
        if person is None:
            person = Person(pk=payload.person_id)  # the service refuses it with a field error
    return services.set_reporter_person(actor=request.auth, reporter=reporter, person=person)


@router.delete("/{int:round_id}/reporters/{int:reporter_id}", response={204: None})
def remove_reporter(request, round_id: int, reporter_id: int):
    services.remove_reporter(actor=request.auth, reporter=_reporter(request, round_id, reporter_id))
    return Status(204, None)


@router.post("/{int:round_id}/reporters/refresh", response=list[ReporterOut])
def refresh_reporters(request, round_id: int):
    """Resolve every reporter's person again from posts (first session date, or today)."""
    round = _round(request.auth, round_id, change=True)
    services.refresh_reporter_people(actor=request.auth, round=round)
    return list(selectors.reporters_of(round))
