"""Who may write, review and read rectification plans (整改方案).

A plan belongs to the reporter's unit: whoever writes its report writes and submits it; the
superior — ``report.review`` on the round's host — approves or returns it.

- may this user do X?       :func:`can_write_plan`, :func:`can_review_plan`, :func:`can_view_plan`
- which objects?            :func:`plans_visible_to`
"""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhi.cycles.models import RoundReporter
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.reports.plans.models import RectificationPlan
from shuzhi.reports.reports.policies import can_write_report, may_view_reporter


def can_write_plan(user, reporter: RoundReporter) -> bool:
    """The reporter's unit drafts, edits and submits its plan — whoever writes its report
    (a secretary grant exactly on the unit, the reporting person's account, or a global
    administrator): one rule, kept in ``reports.reports.policies``."""
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
