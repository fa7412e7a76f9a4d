"""Meetings API, mounted at /api/meetings: sessions, their status, agenda, live draw, roster,
sign-in and quorum.

Same policies as the pages: a session outside scope answers 404, visible but not changeable
answers 403, a service's ValidationError becomes a 422 with Chinese messages per field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from shuzhi.cycles.api import PersonRef, UnitRef
from shuzhi.cycles.models import Round
from shuzhi.kernel.loader import load

from . import selectors, services
from .models import RosterCategory, RosterMember, Session, SessionReporter

router = Router(tags=["述职评议会"])


class EntryOut(Schema):
    id: int
    position: int
    mode: str
    reporter_id: int
    unit: UnitRef
    person: PersonRef | None
    started_at: datetime.datetime | None
    ended_at: datetime.datetime | None

    @staticmethod
    def resolve_unit(obj):
        return obj.reporter.unit

    @staticmethod
    def resolve_person(obj):
        return obj.reporter.person


class MemberOut(Schema):
    id: int
    name: str
    signed_in: bool


class MeetingCategoryOut(Schema):
    id: int
    code: str
    label: str
    weight: Decimal
    expected: int
    present: int
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj):
        return list(obj.members.all())


class QuorumOut(Schema):
    met: bool
    expected: int
    present: int
    needed: int


class SessionOut(Schema):
    id: int
    round_id: int
    title: str
    date: datetime.date
    place: str
    status: str
    live_draw_method: str
    live_draw_seed: str
    live_count: int


class SessionDetailOut(SessionOut):
    reporters: list[EntryOut]
    categories: list[MeetingCategoryOut]
    quorum: QuorumOut


class SessionIn(Schema):
    round_id: int
    title: str
    date: datetime.date
    place: str = ""
    override_reason: str = ""


class SessionPatch(Schema):
    title: str | None = None
    date: datetime.date | None = None
    place: str | None = None
    override_reason: str = ""


class StatusIn(Schema):
    status: str
    confirm_date: bool = False


class AddReportersIn(Schema):
    reporter_ids: list[int] | None = None


class OrderIn(Schema):
    order: list[int]


class ModeIn(Schema):
    mode: str


class DrawIn(Schema):
    method: str
    live_count: int | None = None
    chosen: list[int] | None = None


class DrawCheckOut(Schema):
    replayable: bool
    matches: bool
    method: str
    seed: str
    live_count: int
    codes: list[str]
    expected: list[str]
    actual: list[str]


class CountsIn(Schema):
    expected: int | None = None
    present: int | None = None


class MemberIn(Schema):
    name: str


class SignInIn(Schema):
    signed_in: bool = True


def _session(user, session_id: int, *, change: bool = False) -> Session:
    return load(
        Session.objects.select_related("round", "round__host"),
        user,
        "round.change" if change else None,
        denied="您没有权限管理该会议。",
        pk=session_id,
    )


def _detail(session: Session) -> dict:
    data = SessionOut.from_orm(session).dict()
    data["reporters"] = selectors.agenda(session).entries
    data["categories"] = list(session.categories.prefetch_related("members"))
    data["quorum"] = selectors.quorum_status(session).__dict__
    return data


@router.post("/", response={201: SessionDetailOut})
def create_session(request, payload: SessionIn):
    """Schedule a session of a round (top-down rule; ``override_reason`` to schedule early)."""
    round = load(
        Round.objects.select_related("host"),
        request.auth,
        "round.change",
        denied="您没有权限为该年度述职评议安排会议。",
        pk=payload.round_id,
    )
    data = payload.dict()
    data.pop("round_id")
    session = services.create_session(actor=request.auth, round=round, **data)
    return Status(201, _detail(_session(request.auth, session.pk)))


@router.get("/{int:session_id}", response=SessionDetailOut)
def session_detail(request, session_id: int):
    """A session with its agenda, roster categories and quorum."""
    return _detail(_session(request.auth, session_id))


@router.patch("/{int:session_id}", response=SessionDetailOut)
def update_session(request, session_id: int, payload: SessionPatch):
    session = _session(request.auth, session_id, change=True)
    services.update_session(actor=request.auth, session=session, **payload.dict(exclude_unset=True))
    return _detail(_session(request.auth, session_id))


@router.post("/{int:session_id}/status", response=SessionDetailOut)
def transition(request, session_id: int, payload: StatusIn):
    """Move the session along planned → in_progress → closed → published."""
    session = _session(request.auth, session_id, change=True)
    services.transition_session(
        actor=request.auth,
        session=session,
        status=payload.status,
        confirm_date=payload.confirm_date,
    )
    return _detail(_session(request.auth, session_id))


@router.post("/{int:session_id}/reporters", response={201: list[EntryOut]})
def add_reporters(request, session_id: int, payload: AddReportersIn):
    """Put round reporters on the agenda (all of them when ``reporter_ids`` is omitted)."""
    session = _session(request.auth, session_id, change=True)
    reporters = None
    if payload.reporter_ids is not None:
        reporters = list(
            session.round.reporters.filter(pk__in=payload.reporter_ids).select_related("unit")
        )
        if len(reporters) != len(set(payload.reporter_ids)):
            raise Http404
    services.add_session_reporters(actor=request.auth, session=session, reporters=reporters)
    return Status(201, selectors.agenda(session).entries)


@router.put("/{int:session_id}/reporters/order", response=list[EntryOut])
def reorder(request, session_id: int, payload: OrderIn):
    """Set the speaking order: every agenda entry id, once."""
    session = _session(request.auth, session_id, change=True)
    services.reorder_session_reporters(actor=request.auth, session=session, order=payload.order)
    return selectors.agenda(session).entries


def _entry(session: Session, entry_id: int) -> SessionReporter:
    entry = get_object_or_404(
        SessionReporter.objects.select_related("reporter__unit", "reporter__person"),
        session=session,
        pk=entry_id,
    )
    entry.session = session
    return entry


@router.patch("/{int:session_id}/reporters/{int:entry_id}", response=EntryOut)
def set_mode(request, session_id: int, entry_id: int, payload: ModeIn):
    """Make one reporter report live or in writing."""
    session = _session(request.auth, session_id, change=True)
    entry = _entry(session, entry_id)
    services.set_report_mode(actor=request.auth, entry=entry, mode=payload.mode)
    return _entry(session, entry_id)


@router.post("/{int:session_id}/reporters/{int:entry_id}/start", response=EntryOut)
def start(request, session_id: int, entry_id: int):
    session = _session(request.auth, session_id, change=True)
    services.start_speaker(actor=request.auth, entry=_entry(session, entry_id))
    return _entry(session, entry_id)


@router.post("/{int:session_id}/reporters/{int:entry_id}/finish", response=EntryOut)
def finish(request, session_id: int, entry_id: int):
    session = _session(request.auth, session_id, change=True)
    services.finish_speaker(actor=request.auth, entry=_entry(session, entry_id))
    return _entry(session, entry_id)


@router.post("/{int:session_id}/draw", response=list[EntryOut])
def draw_live(request, session_id: int, payload: DrawIn):
    """Choose the live reporters: ``manual`` (``chosen`` entry ids), ``random`` or
    ``rotation`` (``live_count``). Returns the live entries."""
    session = _session(request.auth, session_id, change=True)
    return services.draw_live(actor=request.auth, session=session, **payload.dict())


@router.get("/{int:session_id}/draw/check", response=DrawCheckOut)
def draw_check(request, session_id: int):
    """Replay the recorded draw from its seed and compare it with the agenda."""
    check = selectors.replay_draw(_session(request.auth, session_id))
    return {**check.__dict__, "matches": check.matches}


@router.post("/{int:session_id}/roster", response=list[MeetingCategoryOut])
def init_roster(request, session_id: int):
    """Create or update the roster categories from the round's categories."""
    session = _session(request.auth, session_id, change=True)
    services.init_roster(actor=request.auth, session=session)
    return list(session.categories.prefetch_related("members"))


@router.patch("/{int:session_id}/roster/{int:category_id}", response=MeetingCategoryOut)
def set_counts(request, session_id: int, category_id: int, payload: CountsIn):
    """Set 应到 (``expected``) and/or 实到 by count (``present``)."""
    session = _session(request.auth, session_id, change=True)
    category = get_object_or_404(RosterCategory, session=session, pk=category_id)
    category.session = session
    return services.set_category_counts(actor=request.auth, category=category, **payload.dict())


@router.post("/{int:session_id}/roster/{int:category_id}/members", response={201: MemberOut})
def add_member(request, session_id: int, category_id: int, payload: MemberIn):
    session = _session(request.auth, session_id, change=True)
    category = get_object_or_404(RosterCategory, session=session, pk=category_id)
    category.session = session
    return Status(
        201, services.add_member(actor=request.auth, category=category, name=payload.name)
    )


@router.post("/{int:session_id}/members/{int:member_id}/sign-in", response=MemberOut)
def sign_in(request, session_id: int, member_id: int, payload: SignInIn):
    """Sign a named voter in (or out); the category's 实到 follows."""
    session = _session(request.auth, session_id, change=True)
    member = get_object_or_404(
        RosterMember.objects.select_related("category"), category__session=session, pk=member_id
    )
    member.category.session = session
    return services.sign_in(actor=request.auth, member=member, signed_in=payload.signed_in)


@router.get("/{int:session_id}/quorum", response=QuorumOut)
def quorum(request, session_id: int):
    """应到, 实到, the number needed and whether quorum is met."""
    return selectors.quorum_status(_session(request.auth, session_id)).__dict__
