"""The inbox pages (站内提醒) and the background worker status page (后台任务).

Everyone signed in has an inbox; a message belongs to one user, so another user's message
answers 404. The unread badge is a tiny fragment (``/inbox/count/``) that base.html can load
with htmx. The worker page needs ``worker.view`` somewhere (organisers and administrators).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_tasks_db.models import DBTaskResult, get_date_max

from shuzhi.core import notify
from shuzhi.core.models import Notification, TaskRun
from shuzhi.core.policies import may_view_worker

INBOX_PAGE_SIZE = 30
RECENT_RUNS = 20

# The background jobs the worker runs, with their labels and the django-tasks path used to see
# whether one is queued. Names are those written to ``TaskRun.name``.
WORKER_TASKS = [
    (
        "reminders",
        "整改到期提醒与逾期上报（每日）",
        "shuzhi.rectification.reminder_tasks.daily_reminders",
    ),
]


def _filtered_inbox(request: HttpRequest):
    show = request.GET.get("show", "unread")
    if show not in {"unread", "all"}:
        show = "unread"
    entries = notify.inbox_of(request.user)
    if show == "unread":
        entries = entries.filter(read_at__isnull=True)
    kind = request.GET.get("kind", "").strip()
    if kind:
        entries = entries.filter(kind=kind)
    q = request.GET.get("q", "").strip()
    if q:
        entries = entries.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return entries, show, kind, q


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's messages: unread by default, or all; filter by kind, search, paginated."""
    entries, show, kind, q = _filtered_inbox(request)
    page = Paginator(entries, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboards/inbox.html",
        {
            "page": page,
            "show": show,
            "kind": kind,
            "q": q,
            "kinds": KIND_LABELS,
            "unread": notify.unread_count(request.user),
            "may_view_worker": may_view_worker(request.user),
        },
    )


@login_required
@require_POST
def open_message(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a message read and go to what it is about (or back to the inbox)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notify.mark_read(actor=request.user, notification=notification)
    target = notification.url if request.POST.get("go") else ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(_back(request))


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    """Mark every unread message of the user read."""
    count = notify.mark_all_read(actor=request.user)
    messages.success(request, f"已将 {count} 条提醒标为已读。")
    return redirect(_back(request))


@login_required
@require_POST
def read_selected(request: HttpRequest) -> HttpResponse:
    """Mark the ticked messages read (办结) in one go."""
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
    if not ids:
        messages.error(request, "请先勾选要标为已读的提醒。")
    else:
        count = notify.mark_many_read(actor=request.user, ids=[int(i) for i in ids])
        messages.success(request, f"已将 {count} 条提醒标为已读。")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("inbox")


@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The unread count as bare text for the navigation badge, which htmx fills (empty when
    none or signed out, so an expired session shows nothing instead of a login page, and
    Bootstrap hides the empty badge)."""
    count = notify.unread_count(request.user)
    return render(request, "dashboards/inbox_count.html", {"count": count})


@login_required
@require_GET
def worker(request: HttpRequest) -> HttpResponse:
    """When each background job last ran, its outcome and counts, recent runs, and whether
    the next run is queued."""
    if not may_view_worker(request.user):
        raise PermissionDenied("您没有查看后台任务的权限。")
    names = [name for name, _label, _path in WORKER_TASKS]
    latest = {run.name: run for run in _latest_runs(names)}
    stats = {
        row["name"]: row
        for row in TaskRun.objects.filter(name__in=names)
        .values("name")
        .annotate(
            runs=Count("id"),
            failures=Count("id", filter=Q(outcome=TaskRun.Outcome.FAILED)),
            last_ok=Max("finished_at", filter=Q(outcome=TaskRun.Outcome.OK)),
        )
    }
    queued = _queued({path for _name, _label, path in WORKER_TASKS})
    tasks = [
        {
            "name": name,
            "label": label,
            "last": latest.get(name),
            "stats": stats.get(name, {}),
            "queued": queued.get(path),
        }
        for name, label, path in WORKER_TASKS
    ]
    show = request.GET.get("name", "")
    runs = TaskRun.objects.all()
    if show in names:
        runs = runs.filter(name=show)
    page = Paginator(runs, RECENT_RUNS).get_page(request.GET.get("page"))
    labels = {name: label for name, label, _path in WORKER_TASKS}
    for run in [*page.object_list, *latest.values()]:
        run.label = labels.get(run.name, run.name)
        run.summary_items = [
            (SUMMARY_LABELS.get(key, key), value) for key, value in (run.summary or {}).items()
        ]
    return render(
        request,
        "dashboards/worker.html",
        {
            "tasks": tasks,
            "page": page,
            "show": show,
            "labels": labels,
        },
    )


def _latest_runs(names: list[str]) -> list[TaskRun]:
    latest_ids = (
        TaskRun.objects.filter(name__in=names)
        .values("name")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return list(TaskRun.objects.filter(pk__in=list(latest_ids)))


def _queued(paths: set[str]) -> dict[str, object]:
    """The waiting runs of each task in the database queue: how many, how many may run now
    (``asap``) and the earliest scheduled ``run_after`` time of the others.

    The database backend stores "no run_after" as a sentinel far in the future (9999-01-01),
    which means "as soon as a worker picks it up" — showing that date would read as "never".
    """
    asap = Q(run_after=get_date_max())
    rows = (
        DBTaskResult.objects.filter(task_path__in=paths, status="READY")
        .values("task_path")
        .annotate(
            next_run=Min("run_after", filter=~asap),
            asap=Count("id", filter=asap),
            count=Count("id"),
        )
    )
    return {row["task_path"]: row for row in rows}


# Labels for the counts a job writes to ``TaskRun.summary``.
SUMMARY_LABELS = {
    "today": "业务日期",
    "checked": "检查问题数",
    "before": "到期前提醒",
    "overdue": "逾期提醒",
    "escalated": "逾期上报",
    "notifications": "站内提醒",
    "emails": "邮件",
    "unaddressed": "无接收人",
}

# The kinds of message senders use (for the filter; an unlisted kind still shows).
KIND_LABELS = {
    "deadline_soon": "整改即将到期",
    "overdue": "整改已逾期",
    "escalation": "逾期上报",
    "report.review": "述职报告审核",
    "report.submitted": "述职报告提交",
    "report.archive": "述职报告归档",
    "grading.confirmed": "考核等次确定",
    "assessment.result": "考核结果运用",
    "critique.published": "上级点评",
    "plan.review": "整改方案审核",
}
