"""Who may see and manage user accounts and grants — the permission authority for this app.

Three questions, as everywhere in Shuzhi:
- may this user manage that account, or give this role on this unit?  :func:`can_manage_user`,
  :func:`can_grant`
- which accounts may this user see?                                   :func:`users_visible_to`
- which users may act on a unit?       ``shuzhi.orgs.tree.policies.users_who_can``

Rules:
- An account is *in scope* of an organiser when it has at least one grant and every one of its
  grants lies inside the organiser's ``user.view`` scopes. Accounts without grants and
  superusers are seen by superusers only, so no organiser can take over an account that reaches
  beyond their own subtree.
- Nobody grants wider than their own scope: a grant of role R on unit U needs ``grant.change``
  covering U, and a role no stronger than one the granter holds there. Only holders of an
  administrator grant covering U (or superusers) give the administrator role.
- Managing an account (details, password, activation, grants) needs the right to give every
  grant the account holds, so an organiser can never reset the password of an administrator.
- API tokens: the owner sees and revokes their own; whoever sees an account sees its tokens
  (never the raw value), and whoever may manage it may revoke them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shuzhi.core.selectors import object_id_int, register_object_check, register_private_name
from shuzhi.kernel.roles import ROLE_ACTIONS
from shuzhi.kernel.scope import can_at, held_roles, is_global, may_anywhere, roles_at, scopes_for
from shuzhi.orgs.tree.models import Unit
from shuzhi.orgs.tree.policies import unit_scope_q

from .models import ApiToken, Grant, Role

# Higher is stronger. Roles of equal rank may be given by each other's holders only if the
# granter's role carries ``grant.change`` (organiser, administrator).
ROLE_RANK: dict[str, int] = {
    Role.ADMIN: 3,
    Role.ORGANISER: 2,
    Role.SECRETARY: 1,
    Role.INSPECTOR: 1,
    Role.LEADER: 1,
    Role.VIEWER: 1,
}


def _roles_covering(actor, unit: Unit) -> set[str]:
    """The roles ``actor`` holds through a grant whose scope covers ``unit``."""
    return roles_at(actor, unit.path, unit.depth)


def grantable_roles(actor, unit: Unit | None = None) -> list[str]:
    """Roles ``actor`` may give on ``unit`` (or, without a unit, somewhere in their scope)."""
    if is_global(actor):
        return list(Role.values)
    if unit is None:
        if not scopes_for(actor, "grant.change"):
            return []
        held = held_roles(actor)
    else:
        if not can_at(actor, "grant.change", unit.path, unit.depth):
            return []
        held = _roles_covering(actor, unit)
    strongest = max(
        (ROLE_RANK[r] for r in held if "grant.change" in ROLE_ACTIONS[r]),
        default=0,
    )
    return [r for r in Role.values if ROLE_RANK[r] <= strongest]


def can_grant(actor, role: str, unit: Unit) -> bool:
    """May ``actor`` give ``role`` on ``unit``?"""
    if role not in Role.values:
        return False
    return role in grantable_roles(actor, unit)


def users_visible_to(actor) -> QuerySet:
    """Accounts ``actor`` may see: every grant inside the actor's ``user.view`` scopes."""
    User = get_user_model()
    if is_global(actor):
        return User.objects.all()
    if not scopes_for(actor, "user.view"):
        return User.objects.none()
    in_scope = unit_scope_q(actor, "user.view", prefix="unit__")
    return (
        User.objects.filter(is_superuser=False)
        .filter(pk__in=Grant.objects.filter(in_scope).values("user_id"))
        .exclude(pk__in=Grant.objects.exclude(in_scope).values("user_id"))
    )


def may_view_users(actor) -> bool:
    """Does ``actor`` have the right to see accounts anywhere (the users page at all)?"""
    return may_anywhere(actor, "user.view")


def can_manage_user(actor, user) -> bool:
    """May ``actor`` change ``user``'s details, password, activation and grants?"""
    if is_global(actor):
        return True
    if not getattr(actor, "is_authenticated", False) or user.is_superuser:
        return False
    grants = list(user.grants.select_related("unit"))
    if not grants:
        return False
    return all(
        can_at(actor, "user.change", g.unit.path, g.unit.depth) and can_grant(actor, g.role, g.unit)
        for g in grants
    )


def _may_see_history(actor, object_id: str) -> bool:
    return users_visible_to(actor).filter(pk=object_id_int(object_id)).exists()


def register_audit_check() -> None:
    """Show an account's history, and its name in entries about grants given in their scope,
    to whoever may see the account (called once at start)."""
    register_object_check("accounts.user", _may_see_history)
    register_private_name("accounts.user", users_visible_to)


def tokens_visible_to(actor) -> QuerySet[ApiToken]:
    """Tokens ``actor`` may list: their own and those of the accounts they see."""
    if not getattr(actor, "is_authenticated", False):
        return ApiToken.objects.none()
    if is_global(actor):
        return ApiToken.objects.all()
    return ApiToken.objects.filter(Q(user=actor) | Q(user__in=users_visible_to(actor)))


def can_revoke_token(actor, token: ApiToken) -> bool:
    """May ``actor`` revoke ``token``? Its owner, or whoever may manage the owner's account."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return token.user_id == actor.pk or can_manage_user(actor, token.user)
