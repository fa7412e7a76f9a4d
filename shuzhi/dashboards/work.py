"""The work queue of the home page: what this person must do now and what is due next.

Each queue is one read through the owning app's permission kernel (``visible_to`` with the
action the work needs, or the app's own-rows rule), so the home shows nothing the person could
not open, and an item links to the page where it is acted on. A queue reads at most
``LIMIT + 1`` rows: the page shows ``LIMIT`` and says when there are more.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse

from shuzhi.assessment.grading.selectors import own_rows
from shuzhi.core import clock
from shuzhi.cycles.models import Round
from shuzhi.kernel.scope import scopes_for
from shuzhi.meetings.models import Session, SessionStatus
from shuzhi.orgs.imports.models import ImportJob, ImportStatus
from shuzhi.rectification.models import (
    ACTIVE_STATUSES,
    LedgerImport,
    Problem,
    ProblemStatus,
)
from shuzhi.reports.models import (
    Critique,
    PlanStatus,
    RectificationPlan,
    Report,
    ReportEvent,
    ReportStatus,
)
from shuzhi.reports.reports.policies import writable_reporters

LIMIT = 8
FAILED_IMPORT_DAYS = 30


@dataclass
class Item:
    """One thing to act on: what, where to do it, and when it is due."""

    label: str
    url: str
    note: str = ""
    due: datetime.date | None = None
    late: bool = False


@dataclass
class Queue:
    """A list of things of one kind, newest deadline first."""

    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    more: bool = False
    more_url: str = ""

    @property
    def count(self) -> int:
        return len(self.items)


def _problem_item(problem: Problem, *, note: str = "", late: bool = False) -> Item:
    """A ledger item as a line of a queue: unit, number, the start of its description."""
    return Item(
        f"{problem.unit.name} 第 {problem.serial} 号：{problem.description[:40]}",
        reverse("problem_detail", args=[problem.pk]),
        note=note or problem.get_status_display(),
        due=problem.deadline,
        late=late,
    )


def _cut(queue: Queue, items: list[Item]) -> Queue:
    queue.items = items[:LIMIT]
    queue.more = len(items) > LIMIT
    return queue


def _my_report(user) -> Queue:
    queue = Queue("my_report", "我的述职报告")
    # The reviewer's latest comment comes along in the same query.
    last_return = (
        ReportEvent.objects.filter(report__reporter=OuterRef("pk"), to_status=ReportStatus.RETURNED)
        .order_by("-at", "-id")
        .values("comment")[:1]
    )
    reporters = list(
        writable_reporters(user)
        .select_related("round", "report", "unit")
        .annotate(last_comment=Subquery(last_return))
        .order_by("-round__year", "-id")[: LIMIT + 1]
    )
    items = []
    for reporter in reporters:
        report = getattr(reporter, "report", None)
        if report is None:
            items.append(
                Item(
                    f"{reporter.round.title}：尚未开始撰写",
                    reverse("report_start", args=[reporter.pk]),
                    note=reporter.unit.name,
                    due=reporter.round.report_due,
                )
            )
            continue
        if report.status == ReportStatus.ACCEPTED:
            continue
        note = f"状态：{report.get_status_display()}"
        if report.status == ReportStatus.RETURNED and reporter.last_comment:
            note += f"；审核意见：{reporter.last_comment}"
        items.append(
            Item(
                f"{reporter.round.title}：述职报告",
                reverse("report_detail", args=[report.pk]),
                note=note,
                due=reporter.round.report_due,
            )
        )
    return _cut(queue, items)


def _my_problems(user, today: datetime.date) -> Queue:
    """Problems of the units whose report the person writes (the units they answer for)."""
    queue = Queue("my_problems", "交给我整改的问题", more_url=reverse("ledger_mine"))
    paths = [s.path for s in scopes_for(user, "report.write")]
    if not paths:
        return queue
    rows = (
        Problem.objects.visible_to(user, "problem.rectify")
        .filter(unit__path__in=paths, status__in=ACTIVE_STATUSES, carried_over=False)
        .select_related("unit")
        .order_by("deadline", "id")[: LIMIT + 1]
    )
    items = [_problem_item(p, late=p.is_overdue(today)) for p in rows]
    return _cut(queue, items)


def _grades(user) -> Queue:
    queue = Queue("grades", "待确认知悉的考核等次", more_url=reverse("grading_mine"))
    rows = own_rows(user).filter(acknowledged_at__isnull=True)[: LIMIT + 1]
    items = [
        Item(f"{row.grading.round.title}：{row.reporter.unit.name}", reverse("grading_mine"))
        for row in rows
    ]
    return _cut(queue, items)


def _reviewed_rounds(user):
    return Round.objects.visible_to(user, "report.review").values("pk")


def _reports_to_review(user) -> Queue:
    queue = Queue("review", "等待我审核的述职报告")
    rows = (
        Report.objects.filter(
            status=ReportStatus.SUBMITTED, reporter__round__in=_reviewed_rounds(user)
        )
        .select_related("reporter__unit", "reporter__round")
        .order_by("submitted_at", "id")[: LIMIT + 1]
    )
    items = [
        Item(
            f"{r.reporter.unit.name}：{r.reporter.round.title}",
            reverse("report_detail", args=[r.pk]),
            note=f"第 {r.version} 版，等待审核",
        )
        for r in rows
    ]
    return _cut(queue, items)


def _plans_to_approve(user) -> Queue:
    queue = Queue("plans", "等待我批准的整改方案")
    rows = (
        RectificationPlan.objects.filter(
            status=PlanStatus.SUBMITTED, reporter__round__in=_reviewed_rounds(user)
        )
        .select_related("reporter__unit", "reporter__round")
        .order_by("id")[: LIMIT + 1]
    )
    items = [
        Item(
            f"{p.reporter.unit.name}：{p.reporter.round.title}",
            reverse("plan_detail", args=[p.reporter_id]),
            note="已报送，等待批准",
        )
        for p in rows
    ]
    return _cut(queue, items)


def _critiques(user) -> Queue:
    """Drafts to publish, then accepted reports of rounds hosted where the person critiques
    that they have not critiqued yet."""
    queue = Queue("critiques", "待撰写或发布的点评")
    drafts = list(
        Critique.objects.filter(author=user, published=False)
        .select_related("reporter__unit")
        .order_by("id")[: LIMIT + 1]
    )
    items = [
        Item(
            f"{c.reporter.unit.name}：点评草稿",
            reverse("critique_detail", args=[c.pk]),
            note="尚未发布",
        )
        for c in drafts
    ]
    rounds = Round.objects.visible_to(user, "critique.write").filter(
        host__path__in=[s.path for s in scopes_for(user, "critique.write")]
    )
    waiting = (
        Report.objects.filter(status=ReportStatus.ACCEPTED, reporter__round__in=rounds.values("pk"))
        .exclude(reporter__critiques__author=user)
        .select_related("reporter__unit", "reporter__round")
        .order_by("reporter__round_id", "reporter__unit__path")[: LIMIT + 1]
    )
    items += [
        Item(
            f"{r.reporter.unit.name}：{r.reporter.round.title}",
            reverse("critique_round", args=[r.reporter.round_id]),
            note="报告已通过审核，尚未点评",
        )
        for r in waiting
    ]
    return _cut(queue, items)


def _to_verify(user) -> Queue:
    queue = Queue(
        "verify", "等待我验收的整改", more_url=reverse("ledger_list") + "?status=submitted"
    )
    rows = (
        Problem.objects.visible_to(user, "problem.verify")
        .filter(status=ProblemStatus.SUBMITTED)
        .select_related("unit")
        .order_by("updated_at", "id")[: LIMIT + 1]
    )
    items = [_problem_item(p, note="已提交验收") for p in rows]
    return _cut(queue, items)


def _overdue(user, today: datetime.date) -> Queue:
    """Overdue problems the person may act on as a verifier: the escalations of 逾期上报."""
    queue = Queue("overdue", "逾期未完成的整改", more_url=reverse("ledger_list") + "?overdue=1")
    rows = (
        Problem.objects.visible_to(user, "problem.verify")
        .filter(
            status__in=ACTIVE_STATUSES,
            carried_over=False,
            deadline__lt=today,
            unit__depth__gt=1,
        )
        .select_related("unit")
        .order_by("deadline", "id")[: LIMIT + 1]
    )
    items = [_problem_item(p, late=True) for p in rows]
    return _cut(queue, items)


def _sessions(user) -> Queue:
    """Meetings not yet held, with what is missing before them: reports not yet accepted."""
    queue = Queue("sessions", "待筹备的述职会议")
    sessions = (
        Session.objects.visible_to(user, "round.change")
        .filter(status=SessionStatus.PLANNED)
        .select_related("round")
        .annotate(
            reporter_count=Count("round__reporters", distinct=True),
            accepted_count=Count(
                "round__reporters",
                filter=Q(round__reporters__report__status=ReportStatus.ACCEPTED),
                distinct=True,
            ),
        )
        .order_by("date", "id")[: LIMIT + 1]
    )
    items = []
    for s in sessions:
        missing = s.reporter_count - s.accepted_count
        note = f"还有 {missing} 份述职报告未通过审核" if missing else "述职报告均已通过审核"
        items.append(
            Item(
                f"{s.round.title}：{s.title}",
                reverse("session_detail", args=[s.pk]),
                note=note,
                due=s.date,
            )
        )
    return _cut(queue, items)


def _failed_imports(user, today: datetime.date) -> Queue:
    queue = Queue("imports", "未成功的导入")
    since = today - datetime.timedelta(days=FAILED_IMPORT_DAYS)
    ledger = LedgerImport.objects.filter(
        created_by=user, status=LedgerImport.Status.FAILED, created_at__date__gte=since
    ).order_by("-created_at")[: LIMIT + 1]
    items = [
        Item(
            f"问题台账：{job.original_name}",
            reverse("problem_import_job", args=[job.pk]),
            note=f"{job.created_at:%Y-%m-%d}，有错误，未导入",
        )
        for job in ledger
    ]
    jobs = ImportJob.objects.filter(
        created_by=user, status=ImportStatus.FAILED, created_at__date__gte=since
    ).order_by("-created_at")[: LIMIT + 1]
    items += [
        Item(
            f"{job.get_kind_display()}：{job.file_name}",
            reverse("import_job", args=[job.pk]),
            note=f"{job.created_at:%Y-%m-%d}，失败",
        )
        for job in jobs
    ]
    return _cut(queue, items)


def work_of(user, *, today: datetime.date | None = None) -> list[Queue]:
    """The person's queues, only those their grants give them, empty ones left out."""
    today = today or clock.today()
    queues: list[Queue] = []
    if scopes_for(user, "report.write") or getattr(user, "person_id", None):
        queues += [_my_report(user), _my_problems(user, today), _grades(user)]
    if scopes_for(user, "report.review"):
        queues += [_reports_to_review(user), _plans_to_approve(user)]
    if scopes_for(user, "critique.write"):
        queues.append(_critiques(user))
    if scopes_for(user, "round.change"):
        queues.append(_sessions(user))
    if scopes_for(user, "problem.verify"):
        queues += [_to_verify(user), _overdue(user, today)]
    if scopes_for(user, "problem.import") or scopes_for(user, "unit.import"):
        queues.append(_failed_imports(user, today))
    return [q for q in queues if q.items]
