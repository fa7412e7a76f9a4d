"""Who may do what to units, people and posts — the one permission authority for this app.

Three questions, as everywhere in Shuzhi:
- may this user do X to this object?          :func:`can`
- which objects may this user see or change?  :func:`unit_scope_q` / ``Unit.objects.visible_to``
- which users may act on this object?         :func:`users_who_can`
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shuzhi.kernel.roles import ONE_LEVEL_ROLES, roles_for
from shuzhi.kernel.scope import can_at, may_anywhere, scope_q

from .models import Person, Unit


def unit_scope_q(user, action: str = "unit.view", *, prefix: str = "") -> Q:
    """A filter selecting the units (or rows with a unit at ``prefix``) in ``user``'s scope."""
    return scope_q(user, action, path=f"{prefix}path", depth=f"{prefix}depth")


def may_read_audit(user) -> bool:
    """May ``user`` read audit entries somewhere (the history shown on a person's page)?"""
    return may_anywhere(user, "audit.view")


def may_import_units(user) -> bool:
    """May ``user`` import units anywhere at all (the page and API ask this first)?"""
    return may_anywhere(user, "unit.import")


def may_import_posts(user) -> bool:
    """May ``user`` import posts anywhere (to show the page and the menu entry)?"""
    return may_anywhere(user, "post.change")


def can(user, action: str, unit: Unit) -> bool:
    """May ``user`` perform ``action`` on ``unit`` (or on something that belongs to it)?"""
    return can_at(user, action, unit.path, unit.depth)


def can_person(user, action: str, person: Person) -> bool:
    """People are governed by the unit where they are registered."""
    return can(user, action, person.unit)


def people_visible_to(user, action: str = "person.view") -> QuerySet[Person]:
    """People registered in scope, or holding a post in scope."""
    return Person.objects.visible_to(user, action)


def users_who_can(action: str, unit: Unit) -> QuerySet:
    """Active users holding a grant that lets them perform ``action`` on ``unit``."""
    User = get_user_model()
    ancestors = [f"/{'/'.join(map(str, unit.ancestor_ids[:i]))}/" for i in range(1, unit.depth)]
    whole_subtree = [r for r in roles_for(action) if r not in ONE_LEVEL_ROLES]
    one_level = [r for r in roles_for(action) if r in ONE_LEVEL_ROLES]
    granted = Q(grants__unit=unit, grants__role__in=roles_for(action))
    granted |= Q(grants__unit__path__in=ancestors, grants__role__in=whole_subtree)
    if unit.parent_id:
        granted |= Q(grants__unit_id=unit.parent_id, grants__role__in=one_level)
    return User.objects.filter(is_active=True).filter(granted | Q(is_superuser=True)).distinct()
