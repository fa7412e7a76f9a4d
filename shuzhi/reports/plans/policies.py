"""Who may write, review and read rectification plans (整改方案).

A plan belongs to the reporter's unit: whoever writes its report writes and submits it; the
superior — ``report.review`` on the round's host — approves or returns it.

- may this user do X?       :func:`can_write_plan`, :func:`can_review_plan`, :func:`can_view_plan`
- which objects?            :func:`plans_visible_to`, :func:`readable_plan`

Nothing of a draft plan leaves the unit's writers before it is submitted: the host's viewers
and reviewers see the reporter with no plan (未提交), as with a draft report.
"""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhi.cycles.models import RoundReporter
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
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


def can_read_plan(user, plan: RectificationPlan) -> bool:
    """May ``user`` read this plan? A draft only its writers (nothing of it leaves them before
    submission); a submitted one whoever sees the reporter's plan."""
    if plan.status == PlanStatus.DRAFT:
        return can_write_plan(user, plan.reporter)
    return can_view_plan(user, plan.reporter)


def readable_plan(user, reporter: RoundReporter) -> RectificationPlan | None:
    """The reporter's plan as ``user`` may read it: None while there is none or while it is a
    draft out of the reader's circle (they see 未提交, as if none were drafted)."""
    plan = RectificationPlan.objects.filter(reporter=reporter).first()
    if plan is None:
        return None
    plan.reporter = reporter
    return plan if can_read_plan(user, plan) else None
