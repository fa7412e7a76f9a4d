"""The daily reminder job for the background worker (django-tasks, ``manage.py db_worker``).

``daily_reminders`` runs :func:`reminders.run_reminders` and then queues itself for the next
morning (``run_after``), so one queued run keeps the job going every day for as long as the
worker runs. ``ensure_scheduled`` queues the first run when none is waiting; it is idempotent,
so ``seed_demo`` and ``send_reminders --enqueue`` can call it every time.

Backends that cannot defer (the immediate backend of the tests) run the job at once and are
never asked to queue the next day — that would recurse.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from shuzhi.core import clock

from .reminders import run_reminders

# The hour (local time) at which the daily run is due.
RUN_HOUR = getattr(settings, "SHUZHI_REMIND_HOUR", 6)


@task()
def daily_reminders() -> dict:
    """Send today's reminders, then queue tomorrow's run (even when today's failed)."""
    try:
        return run_reminders()
    finally:
        schedule_next()


def next_run_at(now: datetime.datetime | None = None) -> datetime.datetime:
    """The next ``RUN_HOUR`` o'clock after ``now`` in the installation's time zone."""
    local = timezone.localtime(now or clock.now())
    due = local.replace(hour=RUN_HOUR, minute=0, second=0, microsecond=0)
    if due <= local:
        due += datetime.timedelta(days=1)
    return due


def is_queued() -> bool:
    """Whether a run of the daily job is waiting in the database queue."""
    return DBTaskResult.objects.filter(
        task_path=daily_reminders.module_path, status="READY"
    ).exists()


def schedule_next() -> bool:
    """Queue the next daily run unless the backend cannot defer or one is already waiting."""
    if not daily_reminders.get_backend().supports_defer or is_queued():
        return False
    daily_reminders.using(run_after=next_run_at()).enqueue()
    return True


def ensure_scheduled(*, run_now: bool = True) -> bool:
    """Queue a run (now, or at the next ``RUN_HOUR``) unless one is already waiting.

    Returns whether a run was queued. With a backend that cannot defer, ``run_now`` runs the
    job immediately (the tests) and ``run_now=False`` does nothing.
    """
    backend = daily_reminders.get_backend()
    if not backend.supports_defer:
        if run_now:
            daily_reminders.enqueue()
            return True
        return False
    if is_queued():
        return False
    if run_now:
        daily_reminders.enqueue()
    else:
        daily_reminders.using(run_after=next_run_at()).enqueue()
    return True
