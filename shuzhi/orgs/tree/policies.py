"""Who may do what to units — the one permission authority for this app.

Three questions, as everywhere in Shuzhi:
- may this user do X to this object?          :func:`can`
- which objects may this user see or change?  :func:`unit_scope_q` / ``Unit.objects.visible_to``
- which users may act on this object?         :func:`users_who_can`
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shuzhi.kernel.roles import ONE_LEVEL_ROLES, roles_for
from shuzhi.kernel.scope import can_at, scope_q
from shuzhi.orgs.tree.models import Unit


def unit_scope_q(user, action: str = "unit.view", *, prefix: str = "") -> Q:
    """A filter selecting the units (or rows with a unit at ``prefix``) in ``user``'s scope."""
    return scope_q(user, action, path=f"{prefix}path", depth=f"{prefix}depth")


def can(user, action: str, unit: Unit) -> bool:
    """May ``user`` perform ``action`` on ``unit`` (or on something that belongs to it)?"""
    return can_at(user, action, unit.path, unit.depth)


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
