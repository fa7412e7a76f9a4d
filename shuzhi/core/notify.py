"""Send reminders to people: the in-app inbox (站内提醒) and, after commit, e-mail.

``notify`` stores one message and is idempotent by ``key`` (the same reminder about the same
object is stored once per user); ``notify_many`` does the same for a batch with one query to
find what is already there and one bulk insert, which is what the daily reminder run uses.
E-mail goes out through Django's mail settings in ``transaction.on_commit``, so a rolled-back
change never e-mails anyone, and a message is marked ``emailed`` only once the mail server took
it. Users without an address get the inbox message only.

Reading messages is also here: ``mark_read`` / ``mark_all_read`` act only on the actor's own
messages and leave an audit entry like every other write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from . import audit, clock
from .models import Notification

logger = logging.getLogger(__name__)

EMAIL_SUBJECT_PREFIX = "【述职评议考核】"
BATCH_SIZE = 1000


@dataclass(frozen=True)
class Message:
    """One message to put in one user's inbox (for :func:`notify_many`)."""

    user_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    key: str = ""


def notify(
    *, user, kind: str, title: str, body: str = "", url: str = "", key: str = ""
) -> Notification | None:
    """Put a message in ``user``'s inbox and e-mail it after commit.

    Returns the new ``Notification``, or ``None`` when nothing was stored: the user is inactive
    or a message with the same ``key`` is already in their inbox.
    """
    if user is None or not user.is_active:
        return None
    if key and Notification.objects.filter(user=user, key=key).exists():
        return None
    try:
        # A savepoint, so a concurrent send of the same key loses quietly instead of breaking
        # the caller's transaction.
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body, url=url[:300], key=key[:200]
            )
    except IntegrityError:
        if key:
            return None
        raise
    if user.email:
        transaction.on_commit(lambda: send_emails([notification.pk]))
    return notification


def notify_many(messages: Iterable[Message]) -> list[Notification]:
    """Store a batch of messages (skipping keys already present) and e-mail them after commit.

    Messages for inactive users are dropped. Returns the notifications that were stored.
    """
    wanted = list(messages)
    if not wanted:
        return []
    User = get_user_model()
    user_ids = {m.user_id for m in wanted}
    active = dict(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "email"))
    keys = {m.key for m in wanted if m.key}
    taken = set(
        Notification.objects.filter(user_id__in=active.keys(), key__in=keys).values_list(
            "user_id", "key"
        )
        if keys
        else []
    )
    rows: list[Notification] = []
    for m in wanted:
        if m.user_id not in active:
            continue
        if m.key:
            if (m.user_id, m.key) in taken:
                continue
            taken.add((m.user_id, m.key))  # the same message twice in one batch is stored once
        rows.append(
            Notification(
                user_id=m.user_id,
                kind=m.kind,
                title=m.title[:200],
                body=m.body,
                url=m.url[:300],
                key=m.key[:200],
            )
        )
    if not rows:
        return []
    created = _store(rows)
    to_mail = [n.pk for n in created if active.get(n.user_id)]
    if to_mail:
        transaction.on_commit(lambda: send_emails(to_mail))
    return created


def _store(rows: list[Notification]) -> list[Notification]:
    """Insert ``rows`` in bulk; when a key was stored meanwhile by another run (the check in
    :func:`notify_many` and the insert are not atomic), fall back to one at a time, skipping
    those. Returns the rows stored, with their ids."""
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    except IntegrityError:
        users = get_user_model().objects.in_bulk({n.user_id for n in rows})
        singles = [
            notify(
                user=users[n.user_id], kind=n.kind, title=n.title, body=n.body, url=n.url, key=n.key
            )
            for n in rows
        ]
        return [n for n in singles if n is not None]
    if any(n.pk is None for n in created):
        # Backends that do not return ids from a bulk insert: read them back by key.
        created = list(
            Notification.objects.filter(
                user_id__in={n.user_id for n in rows}, key__in={n.key for n in rows}
            )
        )
    return created


def send_emails(notification_ids: Sequence[int]) -> int:
    """E-mail the given messages that have not been e-mailed yet; returns how many went out.

    Runs after commit. A mail server failure is logged and leaves ``emailed`` false, so the
    inbox still holds the message and nothing else is affected.
    """
    pending = list(
        Notification.objects.filter(pk__in=notification_ids, emailed=False)
        .exclude(user__email="")
        .select_related("user")
    )
    if not pending:
        return 0
    sent_ids: list[int] = []
    try:
        connection = mail.get_connection()
        connection.open()
        try:
            for notification in pending:
                message = mail.EmailMessage(
                    subject=EMAIL_SUBJECT_PREFIX + notification.title,
                    body=_email_body(notification),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[notification.user.email],
                    connection=connection,
                )
                if message.send():
                    sent_ids.append(notification.pk)
        finally:
            connection.close()
    except Exception:  # a mail outage must not fail the change that caused it
        logger.exception("Sending %d reminder e-mails failed", len(pending) - len(sent_ids))
    if sent_ids:
        Notification.objects.filter(pk__in=sent_ids).update(emailed=True)
    return len(sent_ids)


def _email_body(notification: Notification) -> str:
    lines = [notification.body] if notification.body else []
    if notification.url:
        base = getattr(settings, "SHUZHI_SITE_URL", "").rstrip("/")
        lines.append(f"查看详情：{base}{notification.url}")
    lines.append("此邮件由述职评议考核平台自动发送，请登录平台“站内提醒”查看全部消息。")
    return "\n\n".join(lines)


# --- Reading -------------------------------------------------------------------------------


def inbox_of(user) -> QuerySet[Notification]:
    """The user's own messages, newest first."""
    return Notification.objects.filter(user=user)


def unread_count(user) -> int:
    """How many of the user's messages are unread (one indexed count)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@transaction.atomic
def mark_read(*, actor, notification: Notification) -> Notification:
    """Mark one of the actor's own messages read. Another user's message is refused
    (``Notification.DoesNotExist``, which views turn into 404)."""
    if notification.user_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = clock.now()
        Notification.objects.filter(pk=notification.pk).update(read_at=notification.read_at)
        audit.record(
            actor=actor,
            action="inbox.read",
            obj=notification,
            changes={"read_at": [None, notification.read_at.isoformat()]},
        )
    return notification


@transaction.atomic
def mark_all_read(*, actor) -> int:
    """Mark all of the actor's unread messages read; returns how many changed."""
    count = Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=clock.now()
    )
    if count:
        audit.record(
            actor=actor,
            action="inbox.read_all",
            object_type="core.notification",
            object_id=f"user:{actor.pk}",
            object_label=f"{getattr(actor, 'display_name', actor)}的站内提醒",
            changes={"unread": [count, 0]},
        )
    return count


@transaction.atomic
def mark_many_read(*, actor, ids: Iterable[int]) -> int:
    """Mark the chosen messages of the actor read (others' ids are ignored); returns how many
    changed."""
    wanted = [int(i) for i in ids]
    count = Notification.objects.filter(user=actor, pk__in=wanted, read_at__isnull=True).update(
        read_at=clock.now()
    )
    if count:
        audit.record(
            actor=actor,
            action="inbox.read_many",
            object_type="core.notification",
            object_id=f"user:{actor.pk}",
            object_label=f"{getattr(actor, 'display_name', actor)}的站内提醒",
            changes={"read": [0, count]},
        )
    return count
