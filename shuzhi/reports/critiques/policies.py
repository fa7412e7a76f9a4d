"""Who may write and read critiques (点评).

A critique belongs to the round's host: it is written by the host's secretary (a secretary
grant on the host itself), by leadership-team members (a ``Role.LEADER`` grant on the host),
or entered on their behalf by an organiser whose scope covers the host. A secretary of the
host's *parent* also reaches the host (one-level grants reach one level down), but that
person is the superior of the host, not its secretary: one-level grants count only when they
sit exactly on the host.

Rectification plans have their own rules in ``plans.policies``; who sees a reporter at all
is ``reports.policies.may_view_reporter``.

- may this user do X?       :func:`can_critique`, :func:`can_view_critique`
- which objects?            :func:`critiques_visible_to`
- which users?              :func:`users_who_can_critique`
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shuzhi.cycles.models import RoundReporter
from shuzhi.kernel.roles import ONE_LEVEL_ROLES, Role, roles_for
from shuzhi.kernel.scope import grants_of, is_active_user, roles_at
from shuzhi.orgs.models import Unit
from shuzhi.reports.critiques.models import Critique, reaches_exactly
from shuzhi.reports.reports.policies import may_view_reporter


def can_critique(user, reporter: RoundReporter) -> bool:
    """May ``user`` write (create, edit, publish) critiques of ``reporter``?"""
    return can_critique_round(user, reporter.round)


def can_view_critique(user, critique: Critique) -> bool:
    """A published critique is seen by ``critique.view`` on the reporter's unit or the host;
    a draft only by those who may write it."""
    if can_critique(user, critique.reporter):
        return True
    return critique.published and may_view_reporter(user, "critique.view", critique.reporter)


def critiques_visible_to(user) -> QuerySet[Critique]:
    """Critiques ``user`` may read (the same rule as :func:`can_view_critique`, as one filter:
    ``Critique.objects.visible_to``)."""
    return Critique.objects.visible_to(user)


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


def critiques_as_team_member(user, host: Unit) -> bool:
    """Does ``user`` critique the reporters heard by ``host`` as a leadership-team member (a
    leader's grant covering the host, and no secretary's grant there)?"""
    roles = roles_at(user, host.path, host.depth)
    return Role.LEADER in roles and Role.SECRETARY not in roles


def can_critique_round(user, round) -> bool:
    """May ``user`` critique the reporters of ``round`` (the rule depends on the host only)?"""
    return reaches_exactly(user, "critique.write", round.host.path)


def critiques_in_own_name(user, host: Unit) -> bool:
    """Does ``user`` critique the reporters heard by ``host`` as themselves: the host's
    secretary or a leadership-team member, by a grant sitting exactly on the host? Anyone else
    who may write the critique (an organiser, an administrator) enters it on the critic's
    behalf — 代录 — and the critique says so."""
    if not is_active_user(user) or getattr(user, "is_superuser", False):
        return False
    own = {Role.SECRETARY, Role.LEADER}
    return any(role in own and path == host.path for role, path, _depth in grants_of(user))
