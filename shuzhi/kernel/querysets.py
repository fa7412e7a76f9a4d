"""``Model.objects.visible_to(user, action)`` for every model scoped by the organisation tree.

A model's queryset subclasses :class:`ScopedQuerySet` and says which unit scopes its rows:
``scope_routes`` lists ``(path field, depth field)`` pairs — a row is in scope when the unit
at *any* route is (a report is seen through its reporting unit or through its round's host).
``own_q`` adds rows a user sees by name rather than by scope (the reporting person's own
report). One-level roles (secretary, leader) are narrowed by the depth field.

Example::

    class ProblemQuerySet(ScopedQuerySet):
        scope_routes = (("unit_path", "unit__depth"),)   # the copied path, no join
        view_action = "problem.view"

    Problem.objects.visible_to(bob)                     # problems bob may see
    Problem.objects.visible_to(bob, "problem.rectify")  # … and may work on
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from django.db import models
from django.db.models import Q

from .roles import roles_for
from .scope import can_at, is_global, scope_q

PATH_SEPARATOR = "/"


def depth_of(path: str) -> int:
    """A unit's depth read from its materialised path of ids ("/1/5/9/" → 3)."""
    return len([part for part in path.split(PATH_SEPARATOR) if part])


def _follow(obj: Any, field: str) -> Any:
    """The value at a ``__``-separated field path of ``obj`` (None when a link is empty)."""
    for name in field.split("__"):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


class ScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to units of the tree (see the module docstring)."""

    scope_routes: ClassVar[tuple[tuple[str, str | None], ...]] = (("path", "depth"),)
    view_action: ClassVar[str] = "unit.view"

    def own_q(self, user, action: str) -> Q | None:
        """Rows ``user`` sees by name whatever their scope (None: none)."""
        return None

    def owns(self, user, action: str, obj: Any) -> bool:
        """The object form of :meth:`own_q`."""
        return False

    def scope_filter(self, user, action: str) -> Q:
        """The filter selecting the rows ``user`` may perform ``action`` on."""
        if is_global(user):
            roles_for(action)
            return Q()
        condition = Q(pk__in=[])
        for path, depth in self.scope_routes:
            condition |= scope_q(user, action, path=path, depth=depth)
        own = self.own_q(user, action)
        if own is not None:
            condition |= own
        return condition

    def visible_to(self, user, action: str | None = None) -> Self:
        """The rows ``user`` may perform ``action`` on (by default: see)."""
        return self.filter(self.scope_filter(user, action or self.view_action))

    def allows(self, user, action: str, obj: Any) -> bool:
        """May ``user`` perform ``action`` on ``obj`` (a row of this model)? The object form
        of :meth:`visible_to`; the depth is read from the path, so it costs no query when the
        path is loaded."""
        if is_global(user):
            roles_for(action)
            return True
        for path_field, _depth in self.scope_routes:
            path = _follow(obj, path_field)
            if path and can_at(user, action, path, depth_of(path)):
                return True
        return self.owns(user, action, obj)
