"""Field API, mounted at /api/field: contact points and visits.

Same policies as the pages: a leader acts for themselves, the organisation department
(``field.manage``) on a leader's behalf; lists show what ``field.view`` reaches. A service's
ValidationError becomes a 422 with Chinese messages per field.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from shuzhi.core import clock
from shuzhi.cycles.api import PersonRef, UnitRef
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification.models import Problem

from . import policies, selectors, services
from .models import VisitProblemKind

router = Router(tags=["联系点与调研走访"])


class PointOut(Schema):
    id: int
    year: int
    leader: PersonRef
    unit: UnitRef
    reason: str
    min_visits: int
    visits: int = 0


class PointIn(Schema):
    unit_id: int
    reason: str
    year: int | None = None
    min_visits: int | None = None
    leader_id: int | None = None


class VisitOut(Schema):
    id: int
    leader: PersonRef
    unit: UnitRef
    visited_on: datetime.date
    purpose: str
    note: str
    people_met: str
    problems_found: list[int]
    problems_solved: list[int]

    @staticmethod
    def resolve_problems_found(obj) -> list[int]:
        return [x.problem_id for x in obj.problem_links.all() if x.kind == VisitProblemKind.FOUND]

    @staticmethod
    def resolve_problems_solved(obj) -> list[int]:
        return [x.problem_id for x in obj.problem_links.all() if x.kind == VisitProblemKind.SOLVED]


class VisitIn(Schema):
    unit_id: int
    visited_on: datetime.date
    purpose: str
    note: str = ""
    people_met: str = ""
    problems_found: list[str] = []
    problems_solved: list[int] = []
    leader_id: int | None = None


def _leader(user, leader_id: int | None) -> Person:
    """The caller's own person, or a leader the caller sees (``field.view``)."""
    if leader_id is None:
        person = getattr(user, "person", None)
        if person is None:
            raise ValidationError({"leader_id": "您的账号未关联人员信息，请指定领导。"})
        return person
    leader = Person.objects.filter(pk=leader_id).first()
    if leader is None or not policies.may_view_leader(user, leader):
        raise Http404("该人员不存在或不在您的查看范围内。")
    return leader


def _unit(user, leader: Person, unit_id: int, on: datetime.date) -> Unit:
    """The unit, if the caller sees it or it lies in the leader's scope; otherwise it is
    reported as unknown, so its name never leaks."""
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is not None and (
        org_policies.can(user, "unit.view", unit)
        or (
            policies.is_self(user, leader)
            and policies.in_scope(unit, policies.post_paths(leader, on, on))
        )
    ):
        return unit
    raise ValidationError({"unit_id": "找不到该组织，或不在职责范围内。"})


@router.get("/points", response=list[PointOut])
@paginate
def list_points(request, year: int | None = None, q: str = ""):
    """Contact points of a year in the caller's sight, with the visits made there."""
    return selectors.points_overview(request.auth, year=year or clock.today().year, q=q)


@router.post("/points", response={201: PointOut})
def create_point(request, payload: PointIn):
    """Designate a contact point (for oneself, or ``leader_id`` for the department)."""
    year = payload.year or clock.today().year
    leader = _leader(request.auth, payload.leader_id)
    unit = _unit(request.auth, leader, payload.unit_id, datetime.date(year, 12, 31))
    point = services.designate_contact_point(
        actor=request.auth,
        leader=leader,
        unit=unit,
        year=year,
        reason=payload.reason,
        min_visits=payload.min_visits,
    )
    return 201, point


@router.get("/visits", response=list[VisitOut])
@paginate
def list_visits(request, year: int | None = None, leader_id: int | None = None):
    """Visits of a year in the caller's sight (or a leader's own), newest first."""
    visits = policies.visits_visible_to(request.auth).filter(year=year or clock.today().year)
    if leader_id is not None:
        visits = visits.filter(leader_id=leader_id)
    return (
        visits.select_related("leader", "unit")
        .prefetch_related("problem_links")
        .order_by("-visited_on", "-id")
    )


@router.post("/visits", response={201: VisitOut})
def create_visit(request, payload: VisitIn):
    """Record a visit; each line of ``problems_found`` becomes a ledger item."""
    leader = _leader(request.auth, payload.leader_id)
    unit = _unit(request.auth, leader, payload.unit_id, payload.visited_on)
    solved = list(Problem.objects.filter(pk__in=payload.problems_solved))
    if len(solved) != len(set(payload.problems_solved)):
        raise ValidationError({"problems_solved": "找不到所选的台账问题。"})
    visit = services.record_visit(
        actor=request.auth,
        leader=leader,
        unit=unit,
        visited_on=payload.visited_on,
        purpose=payload.purpose,
        note=payload.note,
        people_met=payload.people_met,
        problems_found=payload.problems_found,
        problems_solved=solved,
    )
    visit = (
        type(visit).objects.select_related("leader", "unit").prefetch_related("problem_links")
    ).get(pk=visit.pk)
    return 201, visit
