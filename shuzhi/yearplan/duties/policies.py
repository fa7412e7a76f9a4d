"""Who may do what with responsibility lists.

- write (start, add items, claim, file): the unit itself — a ``report.write`` grant on the unit
  (its secretary) or ``round.change`` on it (``progress.policies.can_report``);
- review (approve or return with comments): the superior's organisation department —
  ``round.change`` on the unit's parent;
- read: whoever sees the unit (``DutyList.objects.visible_to``).
"""

from __future__ import annotations

from django.db.models import Q

from shuzhi.kernel.scope import is_global, scope_q
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.yearplan.progress.policies import can_report

from .models import DutyList

REVIEW = "round.change"


def can_write(user, duty_list: DutyList) -> bool:
    return can_report(user, duty_list.unit)


def reviewable_q(user) -> Q:
    """The lists ``user`` may review: those whose unit's parent is in their scope for
    ``round.change``."""
    return scope_q(user, REVIEW, path="unit__parent__path", depth="unit__parent__depth")


def can_review(user, duty_list: DutyList) -> bool:
    if is_global(user):
        return True
    parent = duty_list.unit.parent
    return parent is not None and org_policies.can(user, REVIEW, parent)
