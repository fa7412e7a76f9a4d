"""Daily reminders about rectification deadlines, and escalation of long-overdue items.

For every item still being worked on (待整改 / 整改中 — the statuses in which an item can be
逾期, see ``models.ACTIVE_STATUSES``; an item 已整改待验收 or 持续整改 waits on the verifier or
has no fixed end, a closed one needs nothing, and one carried into the next year lives on as
its copy there):

1. ``SHUZHI_REMIND_DAYS_BEFORE`` days before its deadline the responsible person is reminded
   (即将到期);
2. the day after the deadline has passed they are told it is overdue (已逾期);
3. once it has been overdue for longer than ``SHUZHI_ESCALATE_AFTER_DAYS`` it escalates (逾期
   上报) to the responsible leader and to the organisers of the superior unit.

Each of the three is sent once per item: ``Problem.reminded_before_on`` / ``reminded_overdue_on``
/ ``escalated_on`` record the day it went out, and the inbox key (which includes the deadline)
keeps a re-run on the same data from storing a message twice. The work goes in batches by id:
one query for the batch, one for the people's accounts, one for the fallback secretaries, one
for the organisers, one bulk insert of messages and one ``UPDATE`` of the bookkeeping dates —
never a save per row. Every run writes a ``core.TaskRun`` with its counts.

The responsible person is reached through their account (``Person.user``); when the item names
no person with an account, the secretaries granted on the item's own unit are reminded instead.
"""

from __future__ import annotations

import datetime
import traceback
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from shuzhi.accounts.models import Grant, Role
from shuzhi.core import clock
from shuzhi.core.models import TaskRun
from shuzhi.core.notify import Message, notify_many
from shuzhi.orgs.tree.models import PATH_SEPARATOR

from .models import ACTIVE_STATUSES, Problem

TASK_NAME = "reminders"
BATCH_SIZE = 1000

KIND_BEFORE = "deadline_soon"
KIND_OVERDUE = "overdue"
KIND_ESCALATION = "escalation"

_FIELDS = (
    "pk",
    "unit_id",
    "unit_path",
    "unit__name",
    "year",
    "serial",
    "description",
    "deadline",
    "responsible_person_id",
    "responsible_leader_id",
    "responsible_person_name",
    "responsible_leader_name",
)


def run_reminders(*, today: datetime.date | None = None) -> dict:
    """Send the day's reminders and escalations; record the run; return the counts.

    ``today`` defaults to ``clock.today()``. A failure is recorded on the ``TaskRun`` (outcome
    失败 with the traceback) and raised again; batches already done stay done, and since each
    reminder is marked once sent, the next run picks up where this one stopped.
    """
    today = today or clock.today()
    run = TaskRun.objects.create(name=TASK_NAME, started_at=clock.now())
    counts = {
        "today": today.isoformat(),
        "checked": 0,
        "before": 0,
        "overdue": 0,
        "escalated": 0,
        "notifications": 0,
        "emails": 0,
        "unaddressed": 0,
    }
    try:
        days_before = settings.SHUZHI_REMIND_DAYS_BEFORE
        escalate_after = settings.SHUZHI_ESCALATE_AFTER_DAYS
        # An item carried into the next year is worked on (and reminded of) as its copy there.
        active = Problem.objects.filter(
            status__in=ACTIVE_STATUSES, deadline__isnull=False, carried_over=False
        )
        phases = [
            (
                "before",
                active.filter(
                    deadline__gte=today,
                    deadline__lte=today + datetime.timedelta(days=days_before),
                    reminded_before_on__isnull=True,
                ),
            ),
            ("overdue", active.filter(deadline__lt=today, reminded_overdue_on__isnull=True)),
            (
                "escalated",
                active.filter(
                    deadline__lt=today - datetime.timedelta(days=escalate_after),
                    escalated_on__isnull=True,
                ),
            ),
        ]
        for phase, queryset in phases:
            for batch in _batches(queryset):
                _send_batch(phase, batch, today, counts)
    except Exception:
        TaskRun.objects.filter(pk=run.pk).update(
            finished_at=clock.now(),
            outcome=TaskRun.Outcome.FAILED,
            summary=counts,
            error=traceback.format_exc()[-4000:],
        )
        raise
    TaskRun.objects.filter(pk=run.pk).update(
        finished_at=clock.now(), outcome=TaskRun.Outcome.OK, summary=counts
    )
    return counts


def _batches(queryset) -> Iterable[list[dict]]:
    """The rows of ``queryset`` in id order, ``BATCH_SIZE`` at a time (keyset pagination, so a
    batch marked as reminded does not shift the next one)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values(*_FIELDS)[:BATCH_SIZE])
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


@transaction.atomic
def _send_batch(phase: str, rows: list[dict], today: datetime.date, counts: dict) -> None:
    """Write the messages of one batch and mark its items, in one transaction."""
    person_ids = {r["responsible_person_id"] for r in rows if r["responsible_person_id"]}
    if phase == "escalated":
        person_ids |= {r["responsible_leader_id"] for r in rows if r["responsible_leader_id"]}
    accounts = _accounts(person_ids)
    messages: list[Message] = []
    if phase == "escalated":
        organisers = _superior_organisers({r["unit_path"] for r in rows})
        for row in rows:
            recipients = set(organisers.get(row["unit_path"], ()))
            leader = accounts.get(row["responsible_leader_id"])
            if leader:
                recipients.add(leader)
            messages += _messages(phase, row, today, recipients)
            counts["unaddressed"] += not recipients
    else:
        missing = [r for r in rows if r["responsible_person_id"] not in accounts]
        secretaries = _unit_secretaries({r["unit_id"] for r in missing})
        for row in rows:
            person = accounts.get(row["responsible_person_id"])
            recipients = {person} if person else set(secretaries.get(row["unit_id"], ()))
            messages += _messages(phase, row, today, recipients)
            counts["unaddressed"] += not recipients
    created = notify_many(messages)
    counts["checked"] += len(rows)
    counts[phase] += len(rows)
    counts["notifications"] += len(created)
    mailable = _with_email({n.user_id for n in created})
    counts["emails"] += sum(1 for n in created if n.user_id in mailable)
    field = {
        "before": "reminded_before_on",
        "overdue": "reminded_overdue_on",
        "escalated": "escalated_on",
    }[phase]
    Problem.objects.filter(pk__in=[r["pk"] for r in rows]).update(**{field: today})


def _with_email(user_ids: set[int]) -> set[int]:
    """Which of these users have an e-mail address (their messages are e-mailed too)."""
    if not user_ids:
        return set()
    User = get_user_model()
    return set(User.objects.filter(pk__in=user_ids).exclude(email="").values_list("pk", flat=True))


def _accounts(person_ids: set[int]) -> dict[int, int]:
    """person id → the id of their active account."""
    if not person_ids:
        return {}
    User = get_user_model()
    return dict(
        User.objects.filter(person_id__in=person_ids, is_active=True).values_list("person_id", "pk")
    )


def _unit_secretaries(unit_ids: set[int]) -> dict[int, list[int]]:
    """unit id → active users holding a secretary grant exactly on that unit."""
    found: dict[int, list[int]] = defaultdict(list)
    if unit_ids:
        for unit_id, user_id in Grant.objects.filter(
            unit_id__in=unit_ids, role=Role.SECRETARY, user__is_active=True
        ).values_list("unit_id", "user_id"):
            found[unit_id].append(user_id)
    return found


def _prefixes(path: str) -> list[str]:
    """The paths of a unit and its ancestors, nearest first ("/1/5/9/" → "/1/5/9/", "/1/5/",
    "/1/")."""
    parts = [part for part in path.split(PATH_SEPARATOR) if part]
    return [
        PATH_SEPARATOR + PATH_SEPARATOR.join(parts[:i]) + PATH_SEPARATOR
        for i in range(len(parts), 0, -1)
    ]


def _superior_organisers(unit_paths: set[str]) -> dict[str, list[int]]:
    """unit path → the organisers of its superior unit.

    Those are the organisers granted on the parent unit or, when it has none, on the nearest
    ancestor that has some — the organisation department one level up is the one that acts on
    an item overdue below it, not everyone up to the province. A top-level unit has no
    superior, so its own organisers are told.
    """
    wanted: dict[str, list[str]] = {}
    for path in unit_paths:
        chain = _prefixes(path)
        wanted[path] = chain[1:] or chain
    all_paths = {p for chain in wanted.values() for p in chain}
    by_path: dict[str, list[int]] = defaultdict(list)
    if all_paths:
        rows = Grant.objects.filter(
            Q(unit__path__in=all_paths), role=Role.ORGANISER, user__is_active=True
        ).values_list("unit__path", "user_id")
        for path, user_id in rows:
            by_path[path].append(user_id)
    found: dict[str, list[int]] = {}
    for path, chain in wanted.items():
        for candidate in chain:
            if by_path.get(candidate):
                found[path] = by_path[candidate]
                break
    return found


def _messages(phase: str, row: dict, today: datetime.date, recipients: set[int]) -> list[Message]:
    deadline: datetime.date = row["deadline"]
    text = row["description"].replace("\n", " ")
    excerpt = text[:80] + ("…" if len(text) > 80 else "")
    label = f"{row['unit__name']} {row['year']}年第{row['serial']}号问题"
    if phase == "before":
        kind = KIND_BEFORE
        title = f"整改即将到期：{label}"
        lead = f"该问题的整改完成时限为 {deadline:%Y-%m-%d}，还剩 {(deadline - today).days} 天。"
    elif phase == "overdue":
        kind = KIND_OVERDUE
        title = f"整改已逾期：{label}"
        lead = f"该问题的整改完成时限 {deadline:%Y-%m-%d} 已过，请尽快整改并填报进展。"
    else:
        kind = KIND_ESCALATION
        title = f"逾期上报：{label}已逾期 {(today - deadline).days} 天"
        who = row["responsible_person_name"] or "未填写"
        lead = (
            f"该问题的整改完成时限为 {deadline:%Y-%m-%d}，已逾期 {(today - deadline).days} 天，"
            f"责任人：{who}。请督促整改。"
        )
    body = f"{lead}\n问题描述：{excerpt}"
    key = f"problem:{row['pk']}:{kind}:{deadline.isoformat()}"
    return [
        Message(user_id=user_id, kind=kind, title=title, body=body, url=_url(row), key=key)
        for user_id in sorted(recipients)
    ]


def _url(row: dict) -> str:
    return f"/problems/{row['pk']}/"
