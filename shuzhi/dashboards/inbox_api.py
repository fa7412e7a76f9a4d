"""Inbox API: the caller's own messages, the unread count, and marking messages read.

A message belongs to one user: another user's message answers 404.
"""

# No ``from __future__ import annotations``: ninja reads the real annotations.
import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from shuzhi.core import notify
from shuzhi.core.models import Notification

router = Router(tags=["站内提醒"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None
    emailed: bool


class CountOut(Schema):
    unread: int


class ReadAllOut(Schema):
    marked: int


@router.get("/", response=list[NotificationOut])
@paginate
def list_messages(request, unread: bool = False, kind: str = ""):
    """The caller's messages, newest first; ``unread=true`` for unread only."""
    entries = notify.inbox_of(request.auth)
    if unread:
        entries = entries.filter(read_at__isnull=True)
    if kind:
        entries = entries.filter(kind=kind)
    return entries


@router.get("/count", response=CountOut)
def count(request):
    """How many of the caller's messages are unread."""
    return {"unread": notify.unread_count(request.auth)}


@router.post("/{int:notification_id}/read", response=NotificationOut)
def read(request, notification_id: int):
    """Mark one of the caller's messages read."""
    notification = Notification.objects.filter(pk=notification_id, user=request.auth).first()
    if notification is None:
        raise Http404
    return notify.mark_read(actor=request.auth, notification=notification)


@router.post("/read-all", response=ReadAllOut)
def read_all(request):
    """Mark all the caller's unread messages read."""
    return {"marked": notify.mark_all_read(actor=request.auth)}
