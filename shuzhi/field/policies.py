"""Who may keep contact points and record visits, and who sees them.

A leader is a person holding a post (secretary, deputy secretary or committee member) in a
unit; their scope is the subtree of the units where they hold a post — on the visit's date for
a visit, at any time of the year for a contact point. A leader records their own visits and
points (their account's ``person``); the organisation department (``field.manage``) may record
them on a leader's behalf. Reading follows ``field.view`` over the visited unit, and a leader
always sees their own year.

- may this user do X?             :func:`may_act_for`, :func:`may_view_leader`
- which objects may they see?     :func:`visits_visible_to`, :func:`points_visible_to`
- which users may act?            :func:`users_who_may_manage`
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from shuzhi.orgs.people.models import Person, Post
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit

from .models import ContactPoint, Visit


def post_paths(leader: Person, start: datetime.date, end: datetime.date) -> list[str]:
    """Paths of the units where ``leader`` held a post at some time between two dates."""
    posts = Post.objects.filter(person=leader, start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    return list(posts.values_list("unit__path", flat=True))


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def in_scope(unit: Unit, paths: list[str]) -> bool:
    """Does ``unit`` lie in the subtree of one of ``paths``?"""
    return any(unit.path.startswith(path) for path in paths)


def scope_units(paths: list[str]) -> QuerySet[Unit]:
    """Active units in the subtrees of ``paths``."""
    if not paths:
        return Unit.objects.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return Unit.objects.filter(q).active()


def is_self(user, leader: Person) -> bool:
    person_id = getattr(user, "person_id", None)
    return bool(getattr(user, "is_authenticated", False)) and person_id == leader.pk


def may_act_for(user, leader: Person, unit: Unit) -> bool:
    """May ``user`` record a point or a visit of ``leader`` at ``unit``? (Scope is checked by
    the service against the leader's posts.)"""
    return is_self(user, leader) or org_policies.can(user, "field.manage", unit)


def may_view_leader(user, leader: Person) -> bool:
    """May ``user`` read ``leader``'s year (their own, or ``field.view`` where they are
    registered or hold a post)?"""
    if is_self(user, leader):
        return True
    return Person.objects.visible_to(user, "field.view").filter(pk=leader.pk).exists()


def visits_visible_to(user) -> QuerySet[Visit]:
    return Visit.objects.visible_to(user, "field.view")


def points_visible_to(user) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.visible_to(user, "field.view")


def users_who_may_manage(unit: Unit) -> QuerySet:
    """Active users who may record points and visits at ``unit`` on a leader's behalf."""
    return org_policies.users_who_can("field.manage", unit)
