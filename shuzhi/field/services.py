"""Every write of contact points and visits: permission, validation, atomic, audited.

Bad input — a unit outside the leader's scope, a date in the future, more points than the
host's policy allows — raises a ValidationError with Chinese messages per field and changes
nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuzhi.core import audit, clock
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import services as ledger
from shuzhi.rectification.models import NOT_CLOSED_STATUSES, Problem

from . import policies
from .models import (
    DEFAULT_MAX_POINTS,
    DEFAULT_MIN_POINTS,
    DEFAULT_MIN_VISITS,
    NOTE_MAX_LENGTH,
    VISIT_SOURCE_CODE,
    ContactPoint,
    FieldPolicy,
    Visit,
    VisitProblem,
    VisitProblemKind,
    VisitPurpose,
)

MAX_FOUND = 20
PROBLEM_MAX_LENGTH = 500


def policy_for(unit: Unit) -> FieldPolicy:
    """The nearest host policy at or above ``unit``, or the defaults (unsaved)."""
    ancestors = [unit.path[:end] for end in range(len(unit.path), 0, -1)]
    found = (
        FieldPolicy.objects.filter(host__path__in=ancestors)
        .select_related("host")
        .order_by("-host__depth")
        .first()
    )
    return found or FieldPolicy(
        min_points=DEFAULT_MIN_POINTS, max_points=DEFAULT_MAX_POINTS, min_visits=DEFAULT_MIN_VISITS
    )


def _leader_home(paths: list[str]) -> Unit | None:
    """The leader's highest post unit: its host's policy decides their points."""
    if not paths:
        return None
    return Unit.objects.filter(path__in=paths).order_by("depth", "path").first()


@transaction.atomic
def designate_contact_point(
    *,
    actor,
    leader: Person,
    unit: Unit,
    year: int,
    reason: str,
    min_visits: int | None = None,
) -> ContactPoint:
    """Make ``unit`` one of ``leader``'s contact points for ``year`` (联系点)."""
    if not policies.may_act_for(actor, leader, unit):
        raise PermissionDenied("您没有权限为该领导确定联系点。")
    errors: dict[str, str] = {}
    paths = policies.post_paths(leader, *policies.year_bounds(year))
    if not paths:
        errors["leader"] = f"{leader.name}在{year}年未担任书记或班子成员职务，不能确定联系点。"
    elif not policies.in_scope(unit, paths):
        errors["unit"] = f"“{unit.name}”不在{leader.name}的职责范围内，不能作为其联系点。"
    if not unit.is_active:
        errors["unit"] = f"组织“{unit.name}”已撤销或合并，不能作为联系点。"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写确定该联系点的理由。"
    elif len(reason) > 200:
        errors["reason"] = "理由不超过200字。"
    home = _leader_home(paths)
    policy = policy_for(home or unit)
    if min_visits is None:
        min_visits = policy.min_visits
    if not 1 <= int(min_visits) <= 52:
        errors["min_visits"] = "每年最少走访次数应在1—52之间。"
    existing = ContactPoint.objects.select_for_update().filter(leader=leader, year=year)
    if existing.filter(unit=unit).exists():
        errors["unit"] = f"“{unit.name}”已是{leader.name}{year}年的联系点。"
    elif existing.count() >= policy.max_points:
        errors["__all__"] = (
            f"按规定每位领导每年确定{policy.min_points}—{policy.max_points}个联系点，"
            f"{leader.name}{year}年已有{policy.max_points}个。"
        )
    if errors:
        raise ValidationError(errors)
    point = ContactPoint.objects.create(
        leader=leader, unit=unit, year=year, reason=reason, min_visits=int(min_visits)
    )
    audit.record(
        actor=actor,
        action="contact_point.create",
        obj=point,
        scope_path=unit.path,
        changes={"leader": [None, leader.name], "unit": [None, unit.name], "year": [None, year]},
    )
    return point


@transaction.atomic
def remove_contact_point(*, actor, point: ContactPoint) -> None:
    """Withdraw a contact point (its visits stay: they happened)."""
    if not policies.may_act_for(actor, point.leader, point.unit):
        raise PermissionDenied("您没有权限撤销该联系点。")
    audit.record(
        actor=actor,
        action="contact_point.delete",
        obj=point,
        scope_path=point.unit.path,
        changes={"unit": [point.unit.name, None]},
    )
    point.delete()


def _clean_found(found: Iterable[str], errors: dict[str, str]) -> list[str]:
    lines = [line.strip() for line in found if line and line.strip()]
    if len(lines) > MAX_FOUND:
        errors["problems_found"] = f"一次走访最多登记{MAX_FOUND}个问题。"
    elif any(len(line) > PROBLEM_MAX_LENGTH for line in lines):
        errors["problems_found"] = f"每个问题不超过{PROBLEM_MAX_LENGTH}字。"
    return lines


def _clean_solved(
    solved: Iterable[Problem], paths: list[str], errors: dict[str, str]
) -> list[Problem]:
    items = list(solved)
    for problem in items:
        if not any(problem.unit_path.startswith(path) for path in paths):
            errors["problems_solved"] = f"问题“{problem.description[:20]}”不在该领导的职责范围内。"
        elif problem.status not in NOT_CLOSED_STATUSES:
            errors["problems_solved"] = f"问题“{problem.description[:20]}”已销号。"
    return items


@transaction.atomic
def record_visit(
    *,
    actor,
    leader: Person,
    unit: Unit,
    visited_on: datetime.date,
    purpose: str,
    note: str = "",
    people_met: str = "",
    problems_found: Iterable[str] = (),
    problems_solved: Iterable[Problem] = (),
) -> Visit:
    """Record a visit of ``leader`` to ``unit``. Each line of ``problems_found`` becomes a
    ledger item of ``unit`` (source 领导调研走访) linked to the visit; ``problems_solved`` are
    existing open items in the leader's scope, linked as solved on this visit."""
    if not policies.may_act_for(actor, leader, unit):
        raise PermissionDenied("您没有权限为该领导记录走访。")
    errors: dict[str, str] = {}
    if not isinstance(visited_on, datetime.date):
        errors["visited_on"] = "请填写走访日期。"
        paths: list[str] = []
    else:
        if visited_on > clock.today():
            errors["visited_on"] = "走访日期不能晚于今天，请记录已经发生的走访。"
        paths = policies.post_paths(leader, visited_on, visited_on)
        if not paths:
            errors["leader"] = f"{leader.name}在{visited_on}未担任书记或班子成员职务。"
        elif not policies.in_scope(unit, paths):
            errors["unit"] = f"“{unit.name}”不在{leader.name}的职责范围内，不能记录为其走访。"
    if not unit.is_active:
        errors["unit"] = f"组织“{unit.name}”已撤销或合并。"
    if purpose not in VisitPurpose.values:
        errors["purpose"] = "请选择走访事由。"
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = f"简要情况不超过{NOTE_MAX_LENGTH}字。"
    people_met = (people_met or "").strip()
    if len(people_met) > 200:
        errors["people_met"] = "座谈走访对象不超过200字。"
    found = _clean_found(problems_found, errors)
    solved = _clean_solved(problems_solved, paths, errors)
    if errors:
        raise ValidationError(errors)
    assert isinstance(visited_on, datetime.date)
    visit = Visit.objects.create(
        leader=leader,
        unit=unit,
        visited_on=visited_on,
        year=visited_on.year,
        purpose=purpose,
        note=note,
        people_met=people_met,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    links = []
    for description in found:
        problem = ledger.create_problem(
            actor=actor,
            unit=unit,
            description=description,
            source=VISIT_SOURCE_CODE,
            found_on=visited_on,
            year=visited_on.year,
            found_on_visit=True,
        )
        links.append(VisitProblem(visit=visit, problem=problem, kind=VisitProblemKind.FOUND))
    links += [VisitProblem(visit=visit, problem=p, kind=VisitProblemKind.SOLVED) for p in solved]
    VisitProblem.objects.bulk_create(links)
    audit.record(
        actor=actor,
        action="visit.record",
        obj=visit,
        scope_path=unit.path,
        changes={
            "leader": [None, leader.name],
            "unit": [None, unit.name],
            "visited_on": [None, visited_on.isoformat()],
            "purpose": [None, purpose],
            "found": [None, len(found)],
            "solved": [None, len(solved)],
        },
    )
    return visit
