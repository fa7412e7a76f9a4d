"""Who may report progress and push it — the permission authority of this part.

- report a unit's progress: a grant carrying ``report.write`` on the unit *itself* (its
  secretary, as for self scores), or ``round.change`` on the unit (its organisation
  department, entering on the unit's behalf);
- read the matrix of a list: ``round.view`` on the list's host; the cells shown are further
  narrowed to the units the reader sees (``Unit.objects.visible_to``);
- ask for progress and send notices: ``round.change`` on the host.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from shuzhi.kernel.scope import granted_exactly_at, is_global
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit

REPORT = "report.write"
CHANGE = "round.change"


def reporting_units(user) -> list[tuple[str, int]]:
    """``(path, depth)`` of the units whose progress ``user`` reports as their own."""
    return granted_exactly_at(user, REPORT)


def can_report(user, unit: Unit) -> bool:
    """May ``user`` report progress for ``unit``?"""
    if is_global(user):
        return True
    if any(path == unit.path for path, _depth in reporting_units(user)):
        return True
    return org_policies.can(user, CHANGE, unit)


def unit_accounts(unit_ids) -> QuerySet:
    """The active accounts holding a grant on one of the units themselves (who get notices)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, grants__unit_id__in=list(unit_ids))
        .distinct()
    )
