"""Who may see and work on problems — the one permission authority for the three lists.

A problem belongs to its unit: the actions of ``shuzhi/kernel/roles.py`` (``problem.view``,
``problem.create``, ``problem.rectify``, ``problem.verify`` …) decide, scoped through the
unit's subtree exactly as for units themselves. Problems carry a copy of their unit's path
(``unit_path``), so scope filters need no join — except for one-level roles (secretary,
leader), whose reach also depends on the unit's depth.

- may this user do X to this problem?   :func:`can_problem`
- which problems may this user see?     :func:`problem_scope_q` / ``Problem.objects.visible_to``
- which users may act on this problem?  :func:`users_who_can_problem`
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shuzhi.kernel.scope import can_at, is_global, may_anywhere, scope_q, scopes_for
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import PATH_SEPARATOR

from .models import Problem

# Year rollover belongs to whoever runs the yearly cycle (organisers and administrators).
CARRY_OVER_ACTION = "round.change"
SOURCE_ACTION = "problemsource.change"


def path_depth(path: str) -> int:
    """A unit's depth read from its materialised path ("/1/5/9/" → 3)."""
    return len([part for part in path.split(PATH_SEPARATOR) if part])


def can_problem(user, action: str, problem: Problem) -> bool:
    """May ``user`` perform ``action`` on ``problem`` (judged at the problem's unit)?"""
    return can_at(user, action, problem.unit_path, path_depth(problem.unit_path))


def problem_scope_q(user, action: str = "problem.view", *, prefix: str = "") -> Q:
    """A filter selecting the problems (or rows with a problem at ``prefix``) in scope.

    Whole-subtree grants filter on the stored ``unit_path`` alone; one-level grants also
    bound the unit's depth (through the unit row), since a secretary reaches only the units
    directly below their own.
    """
    return scope_q(user, action, path=f"{prefix}unit_path", depth=f"{prefix}unit__depth")


def problems_visible_to(user, action: str = "problem.view") -> QuerySet[Problem]:
    """Problems whose unit lies in ``user``'s scope for ``action``."""
    return Problem.objects.visible_to(user, action)


def users_who_can_problem(action: str, problem: Problem) -> QuerySet:
    """Active users who may perform ``action`` on ``problem``."""
    return org_policies.users_who_can(action, problem.unit)


def can_carry_over(user, root=None) -> bool:
    """May ``user`` carry unfinished items into the next year, for ``root``'s subtree (or
    everywhere when ``root`` is None — superusers only)?"""
    if root is None:
        return is_global(user)
    return org_policies.can(user, CARRY_OVER_ACTION, root)


def may_carry_over_somewhere(user) -> bool:
    """Does ``user`` run the year rollover for some subtree (the gate of the rollover page)?"""
    return may_anywhere(user, CARRY_OVER_ACTION)


def carry_over_roots(user) -> tuple[bool, list[str]]:
    """Where ``user`` may run the rollover: everywhere (superusers), and the paths of the
    units at the top of their ``round.change`` scopes."""
    return is_global(user), [scope.path for scope in scopes_for(user, CARRY_OVER_ACTION)]


def top_depth(user, action: str) -> int:
    """The depth of the highest unit where ``user`` holds ``action`` (1 when none)."""
    return min((path_depth(scope.path) for scope in scopes_for(user, action)), default=1)


def may_view_unit(user, unit) -> bool:
    """May ``user`` see the problems of ``unit`` (its board, its summary)?"""
    return org_policies.can(user, "problem.view", unit)


def may_import_ledger(user) -> bool:
    """May ``user`` import a problem ledger anywhere at all (the page and the API)?"""
    return may_anywhere(user, "problem.import")


def may_create_somewhere(user) -> bool:
    """May ``user`` record problems somewhere (the button on the ledger)?"""
    return may_anywhere(user, "problem.create")


def may_view_somewhere(user) -> bool:
    """May ``user`` see problems somewhere (else the ledger explains they have no scope)?"""
    return may_anywhere(user, "problem.view")


def can_manage_sources(user) -> bool:
    """May ``user`` change the installation-wide list of problem sources?

    The list is shared by every unit, so an administrator's grant must sit at a top-level
    unit (or the user is a superuser)."""
    if is_global(user):
        return True
    return any(path_depth(scope.path) == 1 for scope in scopes_for(user, SOURCE_ACTION))


def can_view_sources(user) -> bool:
    """May ``user`` read the list of problem sources? Whoever manages it or may view problems
    somewhere."""
    return can_manage_sources(user) or bool(scopes_for(user, "problem.view"))


def writes_report_of(user, unit) -> bool:
    """Is ``user`` the one who writes ``unit``'s report (a ``report.write`` grant on it)? Only
    they call the unit's report "my report"."""
    return any(scope.path == unit.path for scope in scopes_for(user, "report.write"))
