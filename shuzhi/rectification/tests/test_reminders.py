"""Daily reminders with a controllable clock: N days before the deadline, the day it passes,
escalation after the configured period — each once, e-mailed, never for closed or submitted
items — and the background job that runs them and queues the next day."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from shuzhi.accounts.models import Role
from shuzhi.core import clock
from shuzhi.core.models import Notification, TaskRun
from shuzhi.core.testing import make_user
from shuzhi.orgs.people.models import Person
from shuzhi.rectification import reminder_tasks, services
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.rectification.reminders import run_reminders

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2026, 3, 31)


@pytest.fixture
def set_today(monkeypatch):
    """Move the product's clock to a given day (10:00 local time)."""

    def move(day: datetime.date) -> None:
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        monkeypatch.setattr(clock, "today", lambda: day)
        monkeypatch.setattr(clock, "now", lambda: moment)

    return move


@pytest.fixture
def cast(world, settings):
    """People with accounts: the responsible person and leader in county A1, a secretary of
    county A1 (the fallback), and an organiser of city A (the superior of county A1)."""
    settings.SHUZHI_REMIND_DAYS_BEFORE = 7
    settings.SHUZHI_ESCALATE_AFTER_DAYS = 30
    sun = Person.objects.create(name="孙责任", unit=world.county_a1)
    zhou = Person.objects.create(name="周领导", unit=world.county_a1)
    return {
        "sun_person": sun,
        "zhou_person": zhou,
        "sun": make_user("sun", email="sun@example.org", person=sun),
        "zhou": make_user("zhou", email="zhou@example.org", person=zhou),
        "sec": make_user("sec", (Role.SECRETARY, world.county_a1), email="sec@example.org"),
        "olga": make_user("olga", (Role.ORGANISER, world.city_a), email="olga@example.org"),
    }


def _problem(world, cast, *, named=True, unit=None, deadline=DEADLINE, text="支部记录不全"):
    return services.create_problem(
        actor=world.dave,
        unit=unit or world.county_a1,
        description=text,
        source="xuncha",
        found_on=datetime.date(2026, 1, 10),
        year=2026,
        responsible_person=cast["sun_person"] if named else None,
        responsible_person_name="孙责任" if named else "",
        responsible_leader=cast["zhou_person"] if named else None,
        deadline=deadline,
    )


def _inbox(user) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", "key").order_by("id"))


@pytest.fixture
def ledger(world, cast):
    """A named item, an unnamed one (secretary fallback), a closed and a submitted one."""
    named = _problem(world, cast)
    unnamed = _problem(world, cast, named=False, text="台账资料归档不规范")
    closed = _problem(world, cast, text="已整改完毕的问题")
    Problem.objects.filter(pk=closed.pk).update(status=ProblemStatus.CLOSED, verifier=world.alice)
    submitted = _problem(world, cast, text="等待验收的问题")
    Problem.objects.filter(pk=submitted.pk).update(status=ProblemStatus.SUBMITTED)
    return {"named": named, "unnamed": unnamed, "closed": closed, "submitted": submitted}


@pytest.mark.smoke
def test_the_whole_timeline_each_reminder_once(
    world, cast, ledger, set_today, django_capture_on_commit_callbacks
):
    def run(day):
        set_today(day)
        with django_capture_on_commit_callbacks(execute=True):
            return run_reminders()

    assert run(DEADLINE - datetime.timedelta(days=8))["notifications"] == 0

    counts = run(DEADLINE - datetime.timedelta(days=7))
    assert counts["before"] == 2 and counts["notifications"] == 2 and counts["emails"] == 2
    assert [k for k, _ in _inbox(cast["sun"])] == ["deadline_soon"]
    assert [k for k, _ in _inbox(cast["sec"])] == ["deadline_soon"]  # the unnamed item
    assert sorted(m.to[0] for m in mail.outbox) == ["sec@example.org", "sun@example.org"]
    assert "还剩 7 天" in Notification.objects.get(user=cast["sun"]).body

    # The same day again, the next day and the deadline itself: nothing new.
    for day in (DEADLINE - datetime.timedelta(days=7), DEADLINE - datetime.timedelta(days=6)):
        assert run(day)["notifications"] == 0
    assert run(DEADLINE)["notifications"] == 0

    counts = run(DEADLINE + datetime.timedelta(days=1))
    assert counts["overdue"] == 2 and counts["notifications"] == 2
    assert [k for k, _ in _inbox(cast["sun"])] == ["deadline_soon", "overdue"]
    assert run(DEADLINE + datetime.timedelta(days=2))["notifications"] == 0

    # Overdue for exactly the period: not yet; one day longer: escalated once.
    assert run(DEADLINE + datetime.timedelta(days=30))["escalated"] == 0
    counts = run(DEADLINE + datetime.timedelta(days=31))
    assert counts["escalated"] == 2
    assert [k for k, _ in _inbox(cast["zhou"])] == ["escalation"]  # the named item's leader
    assert [k for k, _ in _inbox(cast["olga"])] == ["escalation", "escalation"]
    assert _inbox(world.alice) == []  # the province is not the superior of a county
    message = Notification.objects.filter(user=cast["olga"]).first()
    assert message is not None
    assert "已逾期 31 天" in message.title
    assert run(DEADLINE + datetime.timedelta(days=60))["notifications"] == 0

    named = Problem.objects.get(pk=ledger["named"].pk)
    assert named.reminded_before_on == DEADLINE - datetime.timedelta(days=7)
    assert named.reminded_overdue_on == DEADLINE + datetime.timedelta(days=1)
    assert named.escalated_on == DEADLINE + datetime.timedelta(days=31)
    for item in ("closed", "submitted"):
        untouched = Problem.objects.get(pk=ledger[item].pk)
        assert untouched.reminded_before_on is None and untouched.escalated_on is None
    assert not Notification.objects.filter(url=f"/problems/{ledger['closed'].pk}/").exists()
    assert len(mail.outbox) == 2 + 2 + 3  # before, overdue, escalation (zhou + olga ×2)
    assert TaskRun.objects.filter(name="reminders", outcome=TaskRun.Outcome.OK).count() == 10


def test_first_seen_long_overdue_is_reminded_and_escalated_in_one_run(world, cast, set_today):
    item = _problem(world, cast)
    set_today(DEADLINE + datetime.timedelta(days=45))
    counts = run_reminders()
    assert counts["before"] == 0 and counts["overdue"] == 1 and counts["escalated"] == 1
    assert [k for k, _ in _inbox(cast["sun"])] == ["overdue"]
    assert sorted(k for k, _ in _inbox(cast["zhou"])) == ["escalation"]
    item.refresh_from_db()
    assert item.reminded_before_on is None  # a reminder for a deadline long gone is pointless


def test_city_item_escalates_to_the_province_organisers(world, cast, set_today):
    services.create_problem(
        actor=world.alice,
        unit=world.city_a,
        description="市级问题",
        source="xunshi",
        found_on=datetime.date(2026, 1, 10),
        year=2026,
        deadline=DEADLINE,
    )
    set_today(DEADLINE + datetime.timedelta(days=40))
    counts = run_reminders()
    assert counts["escalated"] == 1
    assert [k for k, _ in _inbox(world.alice)] == ["escalation"]
    assert _inbox(cast["olga"]) == []  # the city's own organiser is not its superior
    # No responsible person named: bob, the secretary granted on the city, is reminded.
    assert [k for k, _ in _inbox(world.bob)] == ["overdue"]
    assert counts["unaddressed"] == 0


def test_township_item_escalates_to_nearest_organisers_above(world, cast, set_today):
    _problem(world, cast, unit=world.township_a1x)
    set_today(DEADLINE + datetime.timedelta(days=40))
    run_reminders()
    # No organiser on county A1: the nearest above it is olga in city A, not alice.
    assert [k for k, _ in _inbox(cast["olga"])] == ["escalation"]
    assert _inbox(world.alice) == []


def test_extending_a_deadline_gives_fresh_reminders(world, cast, set_today):
    item = _problem(world, cast)
    set_today(DEADLINE + datetime.timedelta(days=1))
    run_reminders()
    later = DEADLINE + datetime.timedelta(days=90)
    Problem.objects.filter(pk=item.pk).update(
        deadline=later, reminded_before_on=None, reminded_overdue_on=None
    )
    set_today(later + datetime.timedelta(days=1))
    run_reminders()
    assert [k for k, _ in _inbox(cast["sun"])] == ["overdue", "overdue"]  # keys differ by date


def test_carried_item_is_reminded_only_as_its_copy(world, cast, set_today):
    old = _problem(world, cast)
    Problem.objects.filter(pk=old.pk).update(
        year=2025,
        found_on=datetime.date(2025, 3, 1),
        deadline=datetime.date(2025, 9, 30),
        status=ProblemStatus.IN_PROGRESS,
    )
    services.carry_over(actor=world.alice, from_year=2025, root=world.province)
    copy = Problem.objects.get(carried_from=old)
    set_today(datetime.date(2026, 1, 5))
    counts = run_reminders()
    assert counts["overdue"] == 1 and counts["escalated"] == 1
    assert Notification.objects.filter(url=f"/problems/{copy.pk}/").exists()
    assert not Notification.objects.filter(url=f"/problems/{old.pk}/").exists()


def test_batches_keep_queries_flat(world, cast, set_today, django_assert_max_num_queries):
    first = _problem(world, cast)
    Problem.objects.bulk_create(
        [
            Problem(
                unit=world.county_a1,
                unit_path=world.county_a1.path,
                year=2026,
                serial=100 + i,
                description=f"批量问题{i}",
                source_id=first.source_id,
                found_on=first.found_on,
                responsible_person=cast["sun_person"],
                deadline=DEADLINE,
            )
            for i in range(60)
        ]
    )
    set_today(DEADLINE - datetime.timedelta(days=3))
    with django_assert_max_num_queries(20):
        counts = run_reminders()
    assert counts["before"] == 61 and Notification.objects.filter(user=cast["sun"]).count() == 61


def test_a_failed_run_is_recorded(world, cast, set_today, settings):
    _problem(world, cast)
    settings.SHUZHI_REMIND_DAYS_BEFORE = "seven"  # a broken setting makes the run fail
    set_today(DEADLINE)
    with pytest.raises(TypeError):
        run_reminders()
    run = TaskRun.objects.get(name="reminders")
    assert run.outcome == TaskRun.Outcome.FAILED and "TypeError" in run.error
    assert run.finished_at is not None


def test_command_runs_for_a_given_day(world, cast, capsys):
    _problem(world, cast)
    call_command("send_reminders", "--today", "2026-03-25")
    assert "到期前提醒 1 项" in capsys.readouterr().out
    assert [k for k, _ in _inbox(cast["sun"])] == ["deadline_soon"]


def test_task_runs_at_once_on_the_immediate_backend(world, cast, set_today):
    _problem(world, cast)
    set_today(DEADLINE + datetime.timedelta(days=1))
    assert reminder_tasks.ensure_scheduled(run_now=True) is True
    assert TaskRun.objects.get(name="reminders").summary["overdue"] == 1
    assert reminder_tasks.ensure_scheduled(run_now=False) is False


def test_next_run_is_tomorrow_morning(set_today):
    set_today(datetime.date(2026, 5, 1))  # 10:00 → tomorrow 06:00
    due = reminder_tasks.next_run_at()
    assert timezone.localtime(due).date() == datetime.date(2026, 5, 2)
    assert timezone.localtime(due).hour == reminder_tasks.RUN_HOUR


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_job_and_queues_the_next_day(settings):
    """With the database queue: queuing is idempotent, the worker runs the job, the job queues
    tomorrow's run, and the status page would show it."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert reminder_tasks.ensure_scheduled(run_now=True) is True
    assert reminder_tasks.ensure_scheduled(run_now=True) is False
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    run = TaskRun.objects.get(name="reminders")
    assert run.outcome == TaskRun.Outcome.OK
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.task_path == "shuzhi.rectification.reminder_tasks.daily_reminders"
    assert waiting.run_after > timezone.now()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1
