"""The worker status page: organisers and administrators see when each job last ran, what it
did, and whether the next run is queued; others are refused."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from shuzhi.core.models import TaskRun

pytestmark = pytest.mark.django_db


def _run(outcome, started, **summary):
    return TaskRun.objects.create(
        name="reminders",
        started_at=started,
        finished_at=started + datetime.timedelta(seconds=3),
        outcome=outcome,
        summary=summary,
        error="boom" if outcome == TaskRun.Outcome.FAILED else "",
    )


def test_refused_without_worker_view(world, client):
    client.force_login(world.bob)
    assert client.get(reverse("worker_status")).status_code == 403
    client.logout()
    assert client.get(reverse("worker_status")).status_code == 302


def test_never_ran_and_not_queued(world, client):
    client.force_login(world.alice)
    body = client.get(reverse("worker_status")).content.decode()
    assert "从未运行" in body and "未排队" in body


@pytest.mark.smoke
def test_shows_last_run_counts_and_queue(world, client, django_assert_num_queries):
    now = timezone.now()
    _run(TaskRun.Outcome.FAILED, now - datetime.timedelta(days=1))
    _run(TaskRun.Outcome.OK, now - datetime.timedelta(hours=2), checked=12, overdue=3)
    DBTaskResult.objects.create(
        task_path="shuzhi.rectification.reminder_tasks.daily_reminders",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        queue_name="default",
        run_after=now + datetime.timedelta(hours=20),
        status="READY",
    )
    client.force_login(world.alice)
    client.get(reverse("worker_status"))
    # session, user, grants, latest ids, latest runs, stats, queue, page count, page rows
    with django_assert_num_queries(9):
        body = client.get(reverse("worker_status")).content.decode()
    assert "成功" in body and "检查问题数 12" in body and "逾期提醒 3" in body
    assert "运行 2 次，失败 1 次" in body and "已排队，下次不早于" in body
    assert "boom" in body


def test_a_run_queued_without_a_time_waits_for_the_worker(world, client):
    """The database queue marks "run as soon as possible" with a far-future sentinel; the page
    says it waits for the worker instead of showing 9999-01-01."""
    from django_tasks_db.models import get_date_max

    DBTaskResult.objects.create(
        task_path="shuzhi.rectification.reminder_tasks.daily_reminders",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        queue_name="default",
        run_after=get_date_max(),
        status="READY",
    )
    client.force_login(world.alice)
    body = client.get(reverse("worker_status")).content.decode()
    assert "已排队，等待后台进程执行" in body and "manage.py db_worker" in body
    assert "9999" not in body and "下次不早于" not in body
