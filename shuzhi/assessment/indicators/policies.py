"""Who may do what with indicator sets and scores — the one permission authority of this app.

A set belongs to its host unit. Existing actions are reused:

- ``round.view`` on the host — read the set, its governance report and the scoring grid;
- ``round.change`` on the host — define and derive sets, score units, approve adjustments
  (organisers of the host);
- ``report.write`` granted on the assessed unit *itself* — self-score that unit (a secretary's
  grant also reaches one level down, but a unit scores only itself);
- ``round.change`` on the parent of a unit — set the governance policy for that unit's subtree
  (so a host cannot relax its own limits).

The three questions: :func:`can_set` / :func:`can_self_score`; :func:`set_scope_q` and
:func:`sets_for_unit`; :func:`users_who_can_set`.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shuzhi.kernel.scope import granted_exactly_at, is_global, may_anywhere, scope_q
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit

VIEW = "round.view"
CHANGE = "round.change"
SELF_SCORE = "report.write"


def may_define_sets(user) -> bool:
    """May ``user`` define or derive indicator sets somewhere (the button and the pages)?"""
    return may_anywhere(user, CHANGE)


def can_set(user, action: str, indicator_set) -> bool:
    """May ``user`` perform ``action`` (``round.view`` / ``round.change``) on the set?"""
    return org_policies.can(user, action, indicator_set.host)


def set_scope_q(user, action: str = VIEW) -> Q:
    """A filter selecting the sets whose host is in ``user``'s scope for ``action``."""
    return scope_q(user, action, path="host__path", depth="host__depth")


def users_who_can_set(action: str, indicator_set) -> QuerySet:
    return org_policies.users_who_can(action, indicator_set.host)


def self_score_units(user) -> list[tuple[str, int]]:
    """``(path, depth)`` of the units ``user`` may self-score: those where they hold a grant
    carrying ``report.write`` on the unit itself."""
    return granted_exactly_at(user, SELF_SCORE)


def can_self_score(user, unit: Unit) -> bool:
    """May ``user`` enter the self score of ``unit``? Only through a grant on the unit itself;
    superusers act everywhere."""
    if is_global(user):
        return True
    return any(path == unit.path for path, _depth in self_score_units(user))


def can_view_unit_scores(user, indicator_set, unit: Unit) -> bool:
    """The host's readers, and the unit's own self-scorers, may read a unit's scores."""
    return can_set(user, VIEW, indicator_set) or can_self_score(user, unit)


def applies_to(indicator_set, unit: Unit) -> bool:
    """Is ``unit`` assessed under the set (a unit of the assessed type below the host)?"""
    return (
        unit.type_id == indicator_set.assessed_type_id
        and unit.path.startswith(indicator_set.host.path)
        and unit.pk != indicator_set.host_id
    )


def can_approve(user, adjustment) -> bool:
    """An adjustment is approved by someone who may change the host's sets and did not ask
    for it (four eyes)."""
    if adjustment.requested_by_id is not None and adjustment.requested_by_id == user.pk:
        return False
    return can_set(user, CHANGE, adjustment.annual.set)


def can_set_governance(user, unit: Unit) -> bool:
    """Governance overrides for ``unit``'s subtree are set from above: ``round.change`` on its
    parent (on a root unit, only superusers)."""
    if is_global(user):
        return True
    if unit.parent_id is None:
        return False
    parent = Unit.objects.only("path", "depth").get(pk=unit.parent_id)
    return org_policies.can(user, CHANGE, parent)
