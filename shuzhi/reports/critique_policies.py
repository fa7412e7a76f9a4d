"""Who may write and read critiques (点评) and rectification plans (整改方案).

A critique belongs to the round's host: it is written by the host's secretary (a secretary
grant on the host itself), by leadership-team members (a ``Role.LEADER`` grant on the host),
or entered on their behalf by an organiser whose scope covers the host. A secretary of the
host's *parent* also reaches the host (one-level grants reach one level down), but that
person is the superior of the host, not its secretary: one-level grants count only when they
sit exactly on the host.

A plan belongs to the reporter's unit: its secretary (a grant exactly on the unit) writes and
submits it; the superior — ``report.review`` on the round's host — approves or returns it.

- may this user do X?       :func:`can_critique`, :func:`can_view_critique`,
                            :func:`can_write_plan`, :func:`can_review_plan`, :func:`can_view_plan`
- which objects?            :func:`critiques_visible_to`, :func:`plans_visible_to`
- which users?              :func:`users_who_can_critique`
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shuzhi.cycles.models import RoundReporter
from shuzhi.kernel.roles import ONE_LEVEL_ROLES, Role, roles_for
from shuzhi.kernel.scope import grants_of, is_active_user, is_global, roles_at, scopes_for
from shuzhi.orgs import policies as org_policies
from shuzhi.orgs.models import Unit

from .models import Critique, RectificationPlan
from .policies import can_write_report


def _exactly_or_below(user, action: str, unit: Unit) -> bool:
    """``action`` on ``unit`` through a whole-subtree grant covering it, or a one-level grant
    sitting exactly on it (never a one-level grant on its parent)."""
    if is_global(user):
        roles_for(action)
        return True
    for scope in scopes_for(user, action):
        if scope.max_depth is None:
            if unit.path.startswith(scope.path):
                return True
        elif scope.path == unit.path:
            return True
    return False


def _exactly_or_below_q(user, action: str, prefix: str) -> Q:
    """The filter form of :func:`_exactly_or_below` for rows whose unit sits at ``prefix``."""
    if is_global(user):
        roles_for(action)
        return Q()
    condition = Q(pk__in=[])
    for scope in scopes_for(user, action):
        if scope.max_depth is None:
            condition |= Q(**{f"{prefix}path__startswith": scope.path})
        else:
            condition |= Q(**{f"{prefix}path": scope.path})
    return condition


def can_critique(user, reporter: RoundReporter) -> bool:
    """May ``user`` write (create, edit, publish) critiques of ``reporter``?"""
    return can_critique_round(user, reporter.round)


def may_view_reporter(user, action: str, reporter: RoundReporter) -> bool:
    return org_policies.can(user, action, reporter.unit) or org_policies.can(
        user, action, reporter.round.host
    )


def can_view_critique(user, critique: Critique) -> bool:
    """A published critique is seen by ``critique.view`` on the reporter's unit or the host;
    a draft only by those who may write it."""
    if can_critique(user, critique.reporter):
        return True
    return critique.published and may_view_reporter(user, "critique.view", critique.reporter)


def critiques_visible_to(user) -> QuerySet[Critique]:
    """Critiques ``user`` may read (the same rule as :func:`can_view_critique`, as one filter)."""
    if is_global(user):
        return Critique.objects.all()
    seen = org_policies.unit_scope_q(
        user, "critique.view", prefix="reporter__unit__"
    ) | org_policies.unit_scope_q(user, "critique.view", prefix="reporter__round__host__")
    written = _exactly_or_below_q(user, "critique.write", "reporter__round__host__")
    return Critique.objects.filter((Q(published=True) & seen) | written)


def users_who_can_critique(reporter: RoundReporter) -> QuerySet:
    """Active users who may critique ``reporter`` (one-level grants only on the host itself)."""
    host = reporter.round.host
    roles = roles_for("critique.write")
    whole_subtree = [r for r in roles if r not in ONE_LEVEL_ROLES]
    ancestors = [f"/{'/'.join(map(str, host.ancestor_ids[:i]))}/" for i in range(1, host.depth)]
    granted = Q(grants__unit=host, grants__role__in=roles)
    granted |= Q(grants__unit__path__in=ancestors, grants__role__in=whole_subtree)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(granted | Q(is_superuser=True))
        .distinct()
    )


# --- Rectification plans -------------------------------------------------------------------


def can_write_plan(user, reporter: RoundReporter) -> bool:
    """The reporter's unit drafts, edits and submits its plan — whoever writes its report
    (a secretary grant exactly on the unit, the reporting person's account, or a global
    administrator): one rule, kept in ``reports.policies``."""
    return can_write_report(user, reporter)


def can_review_plan(user, reporter: RoundReporter) -> bool:
    """The superior approves or returns a plan: ``report.review`` on the round's host."""
    return org_policies.can(user, "report.review", reporter.round.host)


def can_view_plan(user, reporter: RoundReporter) -> bool:
    """``report.view`` on the reporter's unit or on the host, or any of the rights above."""
    return (
        may_view_reporter(user, "report.view", reporter)
        or can_write_plan(user, reporter)
        or can_review_plan(user, reporter)
    )


def plans_visible_to(user) -> QuerySet[RectificationPlan]:
    """Plans of reporters whose unit or host is in ``user``'s ``report.view`` scope."""
    return RectificationPlan.objects.visible_to(user)


def critiques_as_team_member(user, host: Unit) -> bool:
    """Does ``user`` critique the reporters heard by ``host`` as a leadership-team member (a
    leader's grant covering the host, and no secretary's grant there)?"""
    roles = roles_at(user, host.path, host.depth)
    return Role.LEADER in roles and Role.SECRETARY not in roles


def can_critique_round(user, round) -> bool:
    """May ``user`` critique the reporters of ``round`` (the rule depends on the host only)?"""
    return _exactly_or_below(user, "critique.write", round.host)


def critiques_in_own_name(user, host: Unit) -> bool:
    """Does ``user`` critique the reporters heard by ``host`` as themselves: the host's
    secretary or a leadership-team member, by a grant sitting exactly on the host? Anyone else
    who may write the critique (an organiser, an administrator) enters it on the critic's
    behalf — 代录 — and the critique says so."""
    if not is_active_user(user) or getattr(user, "is_superuser", False):
        return False
    own = {Role.SECRETARY, Role.LEADER}
    return any(role in own and path == host.path for role, path, _depth in grants_of(user))
