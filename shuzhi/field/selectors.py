"""Reads of contact points and visits: the organisation department's overview (who covers
what, which units no leader covers) and one leader's year. Counts are computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit

from . import policies
from .models import ContactPoint, Visit, VisitProblem, VisitProblemKind, VisitPurpose


def _visits_to_point() -> Subquery:
    return Subquery(
        Visit.objects.filter(
            leader_id=OuterRef("leader_id"), unit_id=OuterRef("unit_id"), year=OuterRef("year")
        )
        .order_by()
        .values("leader_id")
        .annotate(n=Count("id"))
        .values("n"),
        output_field=IntegerField(),
    )


def points_overview(user, *, year: int, q: str = "") -> QuerySet[ContactPoint]:
    """Contact points of ``year`` in ``user``'s sight, each with ``visits`` made there."""
    points = (
        policies.points_visible_to(user)
        .filter(year=year)
        .select_related("leader", "unit")
        .annotate(visits=Coalesce(_visits_to_point(), Value(0)))
        .order_by("unit__path", "leader__name")
    )
    if q:
        points = points.filter(Q(leader__name__icontains=q) | Q(unit__name__icontains=q))
    return points


def uncovered_units(user, *, year: int, q: str = "") -> QuerySet[Unit]:
    """Active units in ``user``'s ``field.view`` scope that no leader keeps as a contact point
    in ``year``."""
    covered = ContactPoint.objects.filter(year=year, unit_id=OuterRef("pk"))
    units = (
        Unit.objects.filter(org_policies.unit_scope_q(user, "field.view"))
        .active()
        .exclude(Exists(covered))
        .select_related("type")
        .order_by("path")
    )
    if q:
        units = units.filter(name__icontains=q)
    return units


@dataclass
class LeaderYear:
    """What one leader did in the field in one year."""

    leader: Person
    year: int
    points: list[ContactPoint]
    visits: list[Visit]
    lessons: int = 0
    found: int = 0
    solved: int = 0
    by_purpose: dict[str, int] = field(default_factory=dict)


def leader_year(leader: Person, year: int) -> LeaderYear:
    """The leader's contact points (with visits made there), visits with their linked ledger
    items, Party lessons given and problems found/solved — in a fixed number of queries."""
    points = list(
        ContactPoint.objects.filter(leader=leader, year=year)
        .select_related("unit")
        .annotate(visits=Coalesce(_visits_to_point(), Value(0)))
        .order_by("unit__path")
    )
    visits = list(
        Visit.objects.filter(leader=leader, year=year)
        .select_related("unit")
        .prefetch_related(
            _links_prefetch(),
        )
        .order_by("-visited_on", "-id")
    )
    summary = LeaderYear(leader=leader, year=year, points=points, visits=visits)
    for visit in visits:
        summary.by_purpose[visit.purpose] = summary.by_purpose.get(visit.purpose, 0) + 1
        for link in visit.problem_links.all():
            if link.kind == VisitProblemKind.FOUND:
                summary.found += 1
            else:
                summary.solved += 1
    summary.lessons = summary.by_purpose.get(VisitPurpose.LESSON, 0)
    return summary


def _links_prefetch() -> Prefetch:
    return Prefetch(
        "problem_links",
        queryset=VisitProblem.objects.select_related("problem").order_by("kind", "id"),
    )
