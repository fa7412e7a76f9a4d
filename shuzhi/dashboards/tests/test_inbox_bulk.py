"""Reminders can be filtered by kind, ticked and marked read in one go (only one's own), and
open the thing they are about."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.core import notify
from shuzhi.core.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db


def test_ticked_reminders_are_marked_read_in_one_go(client, world):
    first = notify.notify(user=world.alice, kind="problem.overdue", title="逾期一", url="/ledger/")
    second = notify.notify(user=world.alice, kind="problem.overdue", title="逾期二")
    kept = notify.notify(user=world.alice, kind="report.review", title="待审核")
    others = notify.notify(user=world.bob, kind="problem.overdue", title="别人的")
    assert first and second and kept and others
    client.force_login(world.alice)
    page = client.get(reverse("inbox"), {"kind": "problem.overdue"}).content.decode()
    assert "逾期一" in page and "待审核" not in page
    assert 'form="bulk-read"' in page
    response = client.post(
        reverse("inbox_read_selected"), {"ids": [first.pk, second.pk, others.pk]}
    )
    assert response.status_code == 302
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True))
    assert unread == {"待审核", "别人的"}  # another user's reminder is never touched
    assert AuditEntry.objects.filter(action="inbox.read_many").count() == 1
    opened = client.post(reverse("inbox_open", args=[first.pk]), {"go": "1"})
    assert opened.url == "/ledger/"


def test_nothing_ticked_says_so(client, world):
    client.force_login(world.alice)
    response = client.post(reverse("inbox_read_selected"), {}, follow=True)
    assert "请先勾选要标为已读的提醒" in response.content.decode()
