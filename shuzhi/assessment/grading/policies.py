"""Who may do what with a grading — the one permission authority for 综合评定.

A grading belongs to its round's host unit. Existing actions are reused:

- ``round.change`` on the host — set the formula, compute suggestions, decide grades, confirm
  and correct (the organisers of the host, who serve the committee);
- ``report.review`` on the host — read the grading (the host's reviewers);
- the reporter's own grade, once confirmed — the account linked to the reporting person, or a
  secretary grant *exactly* on the reporting unit (as for writing the report). Only they
  acknowledge it.

Out of sight (no ``round.view`` on the host, and not their own): 404; visible but not allowed:
403 (docs/permissions.md).
"""

from __future__ import annotations

from django.db.models import Q

from shuzhi.assessment.grading.models import GradeRow, is_own_reporter
from shuzhi.cycles.models import Round
from shuzhi.kernel.loader import load
from shuzhi.kernel.scope import is_global
from shuzhi.orgs.tree import policies as org_policies

MANAGE = "round.change"
VIEW = "report.review"


def can_manage(user, rnd) -> bool:
    """Compute, decide, confirm and correct the grading of ``rnd``."""
    return org_policies.can(user, MANAGE, rnd.host)


def can_view(user, rnd) -> bool:
    """Read the whole grading of ``rnd``: its managers and the host's report reviewers."""
    return can_manage(user, rnd) or org_policies.can(user, VIEW, rnd.host)


def can_see_round(user, rnd) -> bool:
    return org_policies.can(user, "round.view", rnd.host)


def is_own(user, reporter) -> bool:
    """Is ``reporter`` the user's own: their person reports, or they hold a grant carrying
    ``report.write`` exactly on the reporting unit? Superusers are not anybody's reporter.
    (The rule lives beside the grade row's queryset, which filters by it.)"""
    return is_own_reporter(user, reporter)


def can_view_row(user, row) -> bool:
    """A row is readable by the grading's readers, and by its reporter once confirmed."""
    if can_view(user, row.grading.round):
        return True
    return row.grading.is_confirmed and row.is_current and is_own(user, row.reporter)


def can_acknowledge(user, row) -> bool:
    """Only the reporter acknowledges their confirmed, current grade."""
    return row.grading.is_confirmed and row.is_current and is_own(user, row.reporter)


def ranking_scope_q(user) -> Q:
    """Rows whose round host is in the user's ``report.review`` or ``round.change`` scope."""
    if is_global(user):
        return Q()
    condition = org_policies.unit_scope_q(user, VIEW, prefix="grading__round__host__")
    condition |= org_policies.unit_scope_q(user, MANAGE, prefix="grading__round__host__")
    return condition


def round_scope_q(user) -> Q:
    """Rounds whose host the user may view gradings of (for the index page)."""
    if is_global(user):
        return Q()
    return org_policies.unit_scope_q(user, VIEW, prefix="host__") | org_policies.unit_scope_q(
        user, MANAGE, prefix="host__"
    )


# --- Loading for pages and the API (one rule for both) ---------------------------------------


def load_round(user, round_id, *, manage: bool = False) -> Round:
    """The round whose grading ``user`` reads (or, with ``manage``, manages): 404 without
    ``round.view`` on the host, 403 when seen but the grading is not theirs to read/manage."""
    return load(
        Round.objects.select_related("host"),
        user,
        allowed=can_manage if manage else can_view,
        not_found="述职评议不存在或不在您的查看范围内。",
        denied="您没有查看或评定本次述职评议等次的权限。",
        pk=round_id,
    )


def can_see_row(user, row) -> bool:
    """A row is in sight when its round is, or when it is the user's own (the object form of
    ``GradeRow.objects.visible_to``)."""
    return can_see_round(user, row.grading.round) or is_own(user, row.reporter)


def load_row(user, pk) -> GradeRow:
    """A grade row ``user`` may read: 404 out of sight, 403 in sight but not readable."""
    return load(
        GradeRow.objects.select_related(
            "grading__round__host", "reporter__unit", "reporter__person"
        ),
        user,
        allowed=can_view_row,
        not_found="未找到，或不在您的查看范围内。",
        denied="您没有查看这条评定结果的权限。",
        pk=pk,
    )
