"""Who may see and change annual rounds. A round belongs to its host unit: the host's scope
decides, through :func:`shuzhi.orgs.tree.policies.can` and :func:`unit_scope_q`.

- may this user do X to this round?   :func:`can_round`
- which rounds may this user see?     :func:`rounds_visible_to`
- which users may act on this round?  :func:`users_who_can_round`
"""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhi.kernel.scope import may_anywhere
from shuzhi.orgs.tree import policies as org_policies

from .models import Round


def can_round(user, action: str, round: Round) -> bool:
    """May ``user`` perform ``action`` (``round.view`` / ``round.change`` …) on ``round``?"""
    return org_policies.can(user, action, round.host)


def rounds_visible_to(user, action: str = "round.view") -> QuerySet[Round]:
    """Rounds whose host lies in ``user``'s scope for ``action``."""
    return Round.objects.visible_to(user, action)


def may_create_round(user) -> bool:
    """May ``user`` create a round somewhere (the button and the page)?"""
    return may_anywhere(user, "round.change")


def users_who_can_round(action: str, round: Round) -> QuerySet:
    """Active users who may perform ``action`` on ``round``."""
    return org_policies.users_who_can(action, round.host)
