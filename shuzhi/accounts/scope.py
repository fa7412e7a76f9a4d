"""Turn a user's grants into the subtrees where they may perform an action.

A scope is ``(path, max_depth)``: the units whose path starts with ``path`` and, for
one-level roles, whose depth is at most ``max_depth``. The grants are read once per user
object and cached on it, so a request costs one query for scopes however many checks it makes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .roles import ONE_LEVEL_ROLES, roles_for


@dataclass(frozen=True)
class Scope:
    path: str
    max_depth: int | None  # None: the whole subtree

    def covers(self, path: str, depth: int) -> bool:
        if not path.startswith(self.path):
            return False
        return self.max_depth is None or depth <= self.max_depth


def _grants(user) -> list[tuple[str, str, int]]:
    cached = getattr(user, "_shuzhi_grants", None)
    if cached is None:
        from .models import Grant

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


def is_global(user) -> bool:
    """Superusers act everywhere; they are the installation's own administrators."""
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def scopes_for(user, action: str) -> list[Scope]:
    """The scopes in which ``user`` may perform ``action`` (empty for anonymous users)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    allowed = set(roles_for(action))
    scopes = []
    for role, path, depth in _grants(user):
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


def held_roles(user) -> set[str]:
    """Every role ``user`` holds somewhere."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {role for role, _path, _depth in _grants(user)}


def roles_at(user, path: str, depth: int) -> set[str]:
    """The roles whose grants cover the unit at ``path``/``depth``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {
        role
        for role, granted_path, granted_depth in _grants(user)
        if path.startswith(granted_path)
        and (role not in ONE_LEVEL_ROLES or depth <= granted_depth + 1)
    }
