"""Facts for automatic items, read in SQL from data already in Shuzhi (最多报一次).

Two aggregate queries per page of units, whatever the number of units or items: one over the
rectification ledger (``rectification.Problem``), one over the year's report deadlines
(``cycles.RoundReporter`` → ``reports.Report``). Both are read-only here; this app never
writes another app's rows.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from django.db.models import Count, F, Q

from shuzhi.assessment.indicators.scoring import UnitFacts, source_points
from shuzhi.core import clock
from shuzhi.cycles.models import RoundReporter
from shuzhi.rectification.models import Problem, ProblemStatus, overdue_q


def unit_facts(
    unit_ids: Collection[int], year: int, *, within: str | None = None
) -> dict[int, UnitFacts]:
    """The facts of each unit for ``year``; units without any data get empty facts.

    ``within`` (a path holding every unit) reads the subtree instead of listing the ids — for
    thousands of units, cheaper than an ``IN`` list; rows of other units are not used."""
    if not unit_ids:
        return {}
    today = clock.today()
    problems_of = Problem.objects.filter(year=year)
    reporters_of = RoundReporter.objects.filter(round__year=year, round__report_due__isnull=False)
    if within is None:
        problems_of = problems_of.filter(unit_id__in=unit_ids)
        reporters_of = reporters_of.filter(unit_id__in=unit_ids)
    else:
        problems_of = problems_of.filter(unit_path__startswith=within)
        reporters_of = reporters_of.filter(unit__path__startswith=within)
    problems = {
        row["unit_id"]: row
        for row in problems_of.order_by()
        .values("unit_id")
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(status=ProblemStatus.CLOSED)),
            overdue=Count("id", filter=overdue_q(today)),
        )
    }
    reports = {
        row["unit_id"]: row
        for row in reporters_of.order_by()
        .values("unit_id")
        .annotate(
            due=Count("id"),
            on_time=Count(
                "id",
                filter=Q(report__submitted_at__isnull=False)
                & Q(report__submitted_at__date__lte=F("round__report_due")),
            ),
        )
    }
    facts = {}
    # Units with the same facts share one (frozen) object, so a grid of thousands of units
    # computes each automatic item once per distinct combination.
    shared: dict[tuple, UnitFacts] = {}
    for unit_id in unit_ids:
        p = problems.get(unit_id, {})
        r = reports.get(unit_id, {})
        key = (
            p.get("total", 0),
            p.get("closed", 0),
            p.get("overdue", 0),
            bool(r.get("due")),
            bool(r.get("due")) and r.get("on_time") == r.get("due"),
        )
        if key not in shared:
            shared[key] = UnitFacts(*key)
        facts[unit_id] = shared[key]
    return facts


def automatic_points(item, facts: UnitFacts) -> Decimal | None:
    """Points of an automatic item for a unit with ``facts``."""
    return source_points(item.source, item.max_points, facts, item.source_params)
