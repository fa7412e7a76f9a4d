"""Turn a user's grants into the subtrees where they may perform an action.

A scope is ``(path, max_depth)``: the units whose path starts with ``path`` and, for
one-level roles, whose depth is at most ``max_depth``. The grants are read once per user
object and cached on it, so a request costs one query for scopes however many checks it makes.

The grants are read through the app registry, not an import: the kernel sits below the
accounts app, which holds the ``Grant`` model.

Example — a secretary of city A (``/1/2/``, depth 2) may review the reports of its counties::

    can_at(bob, "report.review", "/1/2/7/", 3)      # True: one level below the grant
    can_at(bob, "report.review", "/1/2/7/31/", 4)   # False: two levels below
    scope_q(bob, "problem.view", path="unit_path", depth="unit__depth")  # the same as a filter
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q

from .roles import ONE_LEVEL_ROLES, roles_for


@dataclass(frozen=True)
class Scope:
    path: str
    max_depth: int | None  # None: the whole subtree

    def covers(self, path: str, depth: int) -> bool:
        if not path.startswith(self.path):
            return False
        return self.max_depth is None or depth <= self.max_depth


def grants_of(user) -> list[tuple[str, str, int]]:
    """``(role, unit path, unit depth)`` of every grant ``user`` holds on an active unit."""
    cached = getattr(user, "_shuzhi_grants", None)
    if cached is None:
        Grant = apps.get_model("accounts", "Grant")
        cached = list(
            Grant.objects.filter(user=user, unit__status="active")
            .values_list("role", "unit__path", "unit__depth")
            .order_by("unit__path")
        )
        user._shuzhi_grants = cached
    return cached


def forget_grants(user) -> None:
    """Drop the cached grants (after a grant change in the same request)."""
    if hasattr(user, "_shuzhi_grants"):
        del user._shuzhi_grants


def is_active_user(user) -> bool:
    """Signed in and not deactivated."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def is_global(user) -> bool:
    """Superusers act everywhere; they are the installation's own administrators."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def scopes_for(user, action: str) -> list[Scope]:
    """The scopes in which ``user`` may perform ``action`` (empty for anonymous users)."""
    allowed = set(roles_for(action))
    if not is_active_user(user):
        return []
    scopes = []
    for role, path, depth in grants_of(user):
        if role in allowed:
            scopes.append(Scope(path, depth + 1 if role in ONE_LEVEL_ROLES else None))
    return _without_nested(scopes)


def _without_nested(scopes: list[Scope]) -> list[Scope]:
    """Drop whole-subtree scopes contained in another whole-subtree scope."""
    kept: list[Scope] = []
    for scope in sorted(scopes, key=lambda s: (len(s.path), s.max_depth is not None)):
        if any(k.max_depth is None and scope.path.startswith(k.path) for k in kept):
            continue
        kept.append(scope)
    return kept


def can_at(user, action: str, path: str, depth: int) -> bool:
    """May ``user`` perform ``action`` on the unit at ``path``/``depth``?"""
    if is_global(user):
        roles_for(action)  # still refuse unknown actions
        return True
    return any(scope.covers(path, depth) for scope in scopes_for(user, action))


def may_anywhere(user, action: str) -> bool:
    """May ``user`` perform ``action`` somewhere — the gate of menus and list pages (403 when
    not, rather than an empty page)."""
    if is_global(user):
        roles_for(action)
        return True
    return bool(scopes_for(user, action))


def held_roles(user) -> set[str]:
    """Every role ``user`` holds somewhere."""
    if not is_active_user(user):
        return set()
    return {role for role, _path, _depth in grants_of(user)}


def roles_at(user, path: str, depth: int) -> set[str]:
    """The roles whose grants cover the unit at ``path``/``depth``."""
    if not is_active_user(user):
        return set()
    return {
        role
        for role, granted_path, granted_depth in grants_of(user)
        if path.startswith(granted_path)
        and (role not in ONE_LEVEL_ROLES or depth <= granted_depth + 1)
    }


def granted_exactly_at(user, action: str) -> list[tuple[str, int]]:
    """``(path, depth)`` of the units where ``user`` holds a grant carrying ``action`` on the
    unit itself (the rule of writing one's own report or self-score)."""
    if not is_active_user(user):
        return []
    allowed = set(roles_for(action))
    return [(path, depth) for role, path, depth in grants_of(user) if role in allowed]


def scope_q(user, action: str, *, path: str = "path", depth: str | None = "depth") -> Q:
    """A filter selecting the rows whose unit lies in ``user``'s scope for ``action``.

    ``path`` names the field holding the unit's materialised path (``"path"``,
    ``"unit__path"``, a denormalised ``"unit_path"`` …), ``depth`` the field holding its depth;
    one-level roles (secretary, leader) bound the depth. Superusers get an empty ``Q()``, so
    or-ing another condition to it needs care (an empty ``Q`` matches everything)."""
    if is_global(user):
        roles_for(action)  # still refuse unknown actions
        return Q()
    condition = Q(pk__in=[])
    for scope in scopes_for(user, action):
        part = Q(**{f"{path}__startswith": scope.path})
        if scope.max_depth is not None:
            if depth is None:
                raise ValueError("A one-level scope needs the depth field of the unit")
            part &= Q(**{f"{depth}__lte": scope.max_depth})
        condition |= part
    return condition
