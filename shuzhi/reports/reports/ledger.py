"""The reports side of the problem ledger: what reports, critiques and plans tell it.

The ledger (``shuzhi.rectification``) sits below this app and does not import it; it asks
these questions through :mod:`shuzhi.rectification.extensions`, and ``ReportsConfig.ready``
registers the answers below (docs/decisions/0012-import-layers.md).
"""

from __future__ import annotations

from django.db.models import Count

from shuzhi.orgs.tree.models import Unit
from shuzhi.orgs.tree.policies import unit_scope_q
from shuzhi.rectification import extensions
from shuzhi.rectification.models import Problem
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.critiques.policies import can_critique
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.reports.models import CarriedAnswer, Report, ReportStatus


def may_write_critique(actor, critique: Critique) -> bool:
    """Whoever may write ``critique`` may record, reword or remove the problems it names."""
    return can_critique(actor, critique.reporter)


def work_started(problem: Problem) -> str:
    """Work has started on ``problem`` once a report answered it or a plan submitted or
    approved lists it (a Chinese clause), else ""."""
    if CarriedAnswer.objects.filter(problem_id=problem.pk).exists():
        return "该问题已在述职报告中作答"
    # A plan lists problems of its reporter's unit only (see plan_services).
    plans = RectificationPlan.objects.filter(
        reporter__unit_id=problem.unit_id,
        status__in=[PlanStatus.SUBMITTED, PlanStatus.APPROVED],
    ).values_list("items", flat=True)
    if any(item.get("problem") == problem.pk for items in plans for item in items or []):
        return "该问题已列入已提交或已批准的整改方案"
    return ""


def problem_removed(problem: Problem) -> None:
    """Drop a deleted problem from its unit's plans still being drafted or returned."""
    for plan in RectificationPlan.objects.select_for_update(of=("self",)).filter(
        reporter__unit_id=problem.unit_id, status__in=[PlanStatus.DRAFT, PlanStatus.RETURNED]
    ):
        items = [item for item in plan.items if item.get("problem") != problem.pk]
        if items != plan.items:
            plan.items = items
            plan.save(update_fields=["items", "updated_at"])


def report_counts(user, unit: Unit, *, year: int, round_id: int | None = None) -> dict[str, int]:
    """Reports of the units in ``unit``'s subtree in the rounds of ``year`` by status, with
    ``total``; scoped by ``report.view``."""
    reports = Report.objects.filter(
        unit_scope_q(user, "report.view", prefix="reporter__unit__"),
        reporter__unit__path__startswith=unit.path,
        reporter__round__year=year,
    )
    if round_id:
        reports = reports.filter(reporter__round_id=round_id)
    counts = dict(reports.order_by().values_list("status").annotate(n=Count("pk")))
    result = {value: counts.get(value, 0) for value in ReportStatus.values}
    result["total"] = sum(counts.values())
    return result


def published_critiques(reporter) -> list[Critique]:
    """The published critiques of one round reporter, oldest first, with ``named``."""
    return list(
        Critique.objects.filter(reporter=reporter, published=True)
        .annotate(named=Count("problems"))
        .order_by("created_at", "id")
    )


def register() -> None:
    """Give the ledger these answers (called once, from ReportsConfig.ready)."""
    extensions.register(
        extensions.ReportSide(
            may_write_critique=may_write_critique,
            work_started=work_started,
            problem_removed=problem_removed,
            report_counts=report_counts,
            published_critiques=published_critiques,
        )
    )
