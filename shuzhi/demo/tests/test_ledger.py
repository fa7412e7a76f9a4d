"""The demo holds a year of history: problems in every state from several sources (critiques
and last year's leftovers included), some overdue, with notes, evidence and verdicts; reports
of both years; critiques; a plan; reminders in the inbox. Loaded on a small tree."""

from __future__ import annotations

import datetime
import io
import time

import pytest

from shuzhi.core.models import Notification, TaskRun
from shuzhi.demo.ledger import seed_ledger_demo
from shuzhi.meetings.demo import seed_round_demo
from shuzhi.orgs import demo as org_demo
from shuzhi.rectification.models import Evidence, Problem, ProblemStatus, ProgressNote
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.reports import quality
from shuzhi.reports.reports import services as report_services
from shuzhi.reports.reports.models import Report, ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    org_demo.seed(scale=0.05)
    seed_round_demo()
    out = io.StringIO()
    started = time.monotonic()
    result = seed_ledger_demo(out)
    return result, out.getvalue(), time.monotonic() - started


@pytest.mark.smoke
def test_demo_holds_a_living_ledger(demo):
    result, output, elapsed = demo
    assert result is not None and "已载入演示整改台账" in output
    problems = Problem.objects.all()
    assert set(problems.values_list("status", flat=True)) == set(ProblemStatus.values)
    overdue = problems.filter(year=2026).overdue(datetime.date(2026, 11, 27)).count()
    assert result.overdue == overdue and 3 <= overdue < problems.filter(year=2026).count() // 2
    sources = set(problems.values_list("source__code", flat=True))
    assert {"critique", "carried", "xunshi", "xuncha"} <= sources
    assert len(sources) >= 8

    # Closed items carry a verifier other than the responsible person, a verdict and evidence.
    closed = problems.filter(status=ProblemStatus.CLOSED)
    assert closed.exists()
    for item in closed:
        assert item.verifier_id and item.verdict and item.verified_on
        assert Evidence.objects.filter(problem=item).exists()
        if item.responsible_person_id:
            assert item.verifier.person_id != item.responsible_person_id
    assert ProgressNote.objects.count() >= problems.count() // 3
    # Dated like a year, not like the moment of loading.
    earliest = problems.filter(year=2025).order_by("found_on").first()
    assert earliest is not None
    assert earliest.found_on.year == 2025
    closed_2025 = closed.filter(year=2025).first()
    assert closed_2025 is not None
    first_move = closed_2025.transitions.order_by("at").first()
    assert first_move.at.year == 2025

    # Last year's leftovers, linked to their 2025 originals; critique items linked back.
    carried = problems.filter(source__code="carried")
    assert carried.count() == result.carried > 0
    assert all(item.carried_from.year == 2025 for item in carried)
    named = problems.filter(source__code="critique", critique__isnull=False)
    assert named.count() >= 2 * Critique.objects.count() > 0
    # One critique was entered by the organiser on the province secretary's behalf (代录).
    proxy = Critique.objects.get(by_proxy=True)
    assert proxy.author_label and proxy.entered_by_label != proxy.author_label

    # Reports: 2025 accepted; 2026 drafts, submissions and returned ones.
    assert set(
        Report.objects.filter(reporter__round__year=2025).values_list("status", flat=True)
    ) == {ReportStatus.ACCEPTED}
    statuses_2026 = set(
        Report.objects.filter(reporter__round__year=2026).values_list("status", flat=True)
    )
    assert {ReportStatus.RETURNED, ReportStatus.DRAFT} <= statuses_2026
    assert RectificationPlan.objects.filter(status=PlanStatus.APPROVED).exists()

    # The sample texts tell apart: the good report passes the quality checks, the returned
    # praise-only one is flagged.
    def levels(status):
        report = Report.objects.filter(reporter__round__year=2026, status=status).first()
        assert report is not None
        checks = quality.run_checks(report_services.snapshot(report), report.reporter.round)
        return {c.code: c.level for c in checks}

    returned = levels(ReportStatus.RETURNED)
    assert returned["specific_problems"] != "ok" and returned["causes"] != "ok"
    accepted = Report.objects.filter(reporter__round__year=2025).first()
    assert accepted is not None
    good = quality.run_checks(report_services.snapshot(accepted), accepted.reporter.round)
    assert all(c.level == "ok" for c in good), [c.message for c in good if c.level != "ok"]

    # The reminder job ran along the way: runs recorded, messages in inboxes.
    assert TaskRun.objects.filter(name="reminders", outcome="ok").count() == 5
    assert Notification.objects.filter(kind="overdue").exists()
    assert Notification.objects.filter(kind="escalation").exists()
    # The demo secretary's district has items; the city organiser hears of its overdue ones.
    assert Problem.objects.filter(unit__code="470102").exists()
    assert Notification.objects.filter(user__username="city_organiser", kind="escalation").exists()
    assert Notification.objects.filter(user__username="secretary").exists()
    assert elapsed < 60


def test_demo_is_loaded_once(demo):
    count = Problem.objects.count()
    out = io.StringIO()
    assert seed_ledger_demo(out) is None
    assert Problem.objects.count() == count and "跳过" in out.getvalue()
