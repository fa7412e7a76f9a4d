"""Who may see and manage the use of results (结果运用) — the one permission authority for
follow-ups, consequence rules and circulars. A round's results belong to its host unit:
``round.change`` there manages them, ``round.view`` reads them; the person holding a talk may
complete it, and the person a follow-up concerns may read it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shuzhi.assessment.results.models import Circular, FollowUp, FollowUpKind
from shuzhi.cycles.models import Round
from shuzhi.kernel.scope import may_anywhere
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit

VIEW = "round.view"
CHANGE = "round.change"


def can_manage(user, round_: Round) -> bool:
    """May ``user`` manage the results of ``round_`` (rules, follow-ups, circulars)?"""
    return org_policies.can(user, CHANGE, round_.host)


def can_view(user, round_: Round) -> bool:
    return org_policies.can(user, VIEW, round_.host)


def can_manage_rules(user, host: Unit) -> bool:
    return org_policies.can(user, CHANGE, host)


def can_complete(user, follow_up: FollowUp) -> bool:
    """The host's organisers, and for a talk the account of the person holding it."""
    if (
        follow_up.kind == FollowUpKind.TALK
        and follow_up.conductor_user_id is not None
        and getattr(user, "is_authenticated", False)
        and user.pk == follow_up.conductor_user_id
    ):
        return True
    return can_manage(user, follow_up.round)


def follow_up_scope_q(user) -> Q:
    """Follow-ups ``user`` may read: those of rounds hosted in their view scope, the talks they
    hold, and those about themselves (the filter of ``FollowUp.objects.visible_to``)."""
    return FollowUp.objects.scope_filter(user, VIEW)


def may_list(user) -> bool:
    """May ``user`` open the results lists at all? Those who read rounds somewhere, and those
    a follow-up names (holding a talk or talked to); others get 403 rather than an empty
    page."""
    if may_anywhere(user, VIEW):
        return True
    return FollowUp.objects.filter(
        Q(conductor_user_id=getattr(user, "pk", None))
        | Q(with_person_id=getattr(user, "person_id", None) or 0)
    ).exists()


def visible_follow_ups(user) -> QuerySet[FollowUp]:
    return FollowUp.objects.visible_to(user)


def visible_circulars(user) -> QuerySet[Circular]:
    return Circular.objects.visible_to(user)


def visible_rounds(user) -> QuerySet[Round]:
    return Round.objects.visible_to(user)
