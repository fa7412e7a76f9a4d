"""The inbox and e-mail reminders: stored once per key, e-mailed only after commit, marked
e-mailed when the mail server took them; the inbox pages and API show only one's own messages."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse

from shuzhi.core import notify
from shuzhi.core.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db
J = "application/json"


class BrokenBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def mailed(world):
    world.bob.email = "bob@example.org"
    world.bob.save(update_fields=["email"])
    return world.bob


@pytest.mark.smoke
def test_notify_stores_and_emails_after_commit(mailed, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, transaction.atomic():
        n = notify.notify(
            user=mailed, kind="overdue", title="问题已逾期", body="请尽快整改", url="/problems/1/"
        )
        assert n is not None and len(mail.outbox) == 0  # nothing leaves before commit
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bob@example.org"]
    assert "问题已逾期" in message.subject and "/problems/1/" in message.body
    n.refresh_from_db()
    assert n.emailed is True and n.read_at is None


def test_same_key_is_stored_and_mailed_once(mailed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = notify.notify(user=mailed, kind="overdue", title="甲", key="p1:overdue")
        second = notify.notify(user=mailed, kind="overdue", title="甲", key="p1:overdue")
    assert first is not None and second is None
    assert Notification.objects.filter(user=mailed).count() == 1
    assert len(mail.outbox) == 1


def test_rolled_back_change_emails_nobody(mailed, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture, pytest.raises(RuntimeError), transaction.atomic():
        notify.notify(user=mailed, kind="overdue", title="甲")
        raise RuntimeError("the change failed")
    assert mail.outbox == [] and not Notification.objects.exists()


def test_user_without_email_gets_inbox_only(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = notify.notify(user=world.carol, kind="overdue", title="甲")
    assert n is not None and callbacks == [] and mail.outbox == []
    assert n.emailed is False


def test_inactive_user_gets_nothing(world):
    world.erin.is_active = False
    world.erin.save(update_fields=["is_active"])
    assert notify.notify(user=world.erin, kind="overdue", title="甲") is None
    assert not Notification.objects.exists()


def test_mail_outage_keeps_the_inbox_message(mailed, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        n = notify.notify(user=mailed, kind="overdue", title="甲")
    assert n is not None
    n.refresh_from_db()
    assert n.emailed is False


def test_notify_many_skips_present_keys_and_duplicates(
    world, mailed, django_capture_on_commit_callbacks
):
    notify.notify(user=world.carol, kind="overdue", title="旧", key="k1")
    batch = [
        notify.Message(user_id=world.carol.pk, kind="overdue", title="旧", key="k1"),
        notify.Message(user_id=mailed.pk, kind="overdue", title="新", key="k1"),
        notify.Message(user_id=mailed.pk, kind="overdue", title="新", key="k1"),
        notify.Message(user_id=world.alice.pk, kind="escalation", title="上报", key="k2"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        created = notify.notify_many(batch)
    assert sorted(n.user_id for n in created) == sorted([mailed.pk, world.alice.pk])
    assert Notification.objects.count() == 3
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert Notification.objects.get(user=mailed).emailed is True


def test_bulk_store_skips_a_key_stored_meanwhile(world, mailed):
    """Another run stored a key between notify_many's check and its insert: the batch falls
    back to one at a time and skips it, instead of failing."""
    Notification.objects.create(user=mailed, kind="overdue", title="甲", key="k1")
    rows = [
        Notification(user_id=mailed.pk, kind="overdue", title="甲", key="k1"),
        Notification(user_id=mailed.pk, kind="overdue", title="乙", key="k2"),
    ]
    created = notify._store(rows)
    assert [n.key for n in created] == ["k2"]
    assert sorted(Notification.objects.values_list("key", flat=True)) == ["k1", "k2"]


# --- Pages --------------------------------------------------------------------------------


@pytest.fixture
def messages_for_bob(world):
    made = [
        notify.notify(user=world.bob, kind="overdue", title=f"逾期提醒{i}", url="/units/")
        for i in range(3)
    ]
    made.append(notify.notify(user=world.bob, kind="deadline_soon", title="即将到期提醒"))
    notify.notify(user=world.carol, kind="overdue", title="别人的提醒")
    return made


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("inbox_count")).content.strip() == b""


@pytest.mark.smoke
def test_inbox_lists_own_unread_with_filters(
    world, client, messages_for_bob, django_assert_num_queries
):
    client.force_login(world.bob)
    client.get(reverse("inbox"))  # warm the session
    # session, user, grants (navigation), unread count, page count, page rows
    with django_assert_num_queries(6):
        body = client.get(reverse("inbox")).content.decode()
    assert "逾期提醒0" in body and "即将到期提醒" in body and "别人的提醒" not in body
    body = client.get(reverse("inbox"), {"kind": "deadline_soon"}).content.decode()
    assert "即将到期提醒" in body and "逾期提醒0" not in body
    body = client.get(reverse("inbox"), {"q": "逾期提醒2"}).content.decode()
    assert "逾期提醒2" in body and "逾期提醒1" not in body


def test_inbox_paginates(world, client):
    for i in range(35):
        notify.notify(user=world.bob, kind="overdue", title=f"第{i:02d}条")
    client.force_login(world.bob)
    body = client.get(reverse("inbox")).content.decode()
    assert "第 1 / 2 页" in body and "第34条" in body and "第00条" not in body
    assert "第00条" in client.get(reverse("inbox"), {"page": 2}).content.decode()


def test_open_marks_read_and_goes_to_the_link(world, client, messages_for_bob):
    client.force_login(world.bob)
    target = messages_for_bob[0]
    response = client.post(reverse("inbox_open", args=[target.pk]), {"go": "1"})
    assert response.status_code == 302 and response["Location"] == "/units/"
    target.refresh_from_db()
    assert target.read_at is not None
    assert AuditEntry.objects.filter(action="inbox.read", object_id=str(target.pk)).exists()
    body = client.get(reverse("inbox")).content.decode()
    assert "逾期提醒0" not in body  # unread only by default
    assert "逾期提醒0" in client.get(reverse("inbox"), {"show": "all"}).content.decode()


def test_open_refuses_outside_links_and_others_messages(world, client):
    mine = notify.notify(user=world.bob, kind="overdue", title="甲", url="https://evil.example/")
    theirs = notify.notify(user=world.carol, kind="overdue", title="乙")
    assert mine is not None and theirs is not None
    client.force_login(world.bob)
    response = client.post(reverse("inbox_open", args=[mine.pk]), {"go": "1"})
    assert response["Location"] == reverse("inbox")
    assert client.post(reverse("inbox_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_and_badge(world, client, messages_for_bob):
    client.force_login(world.bob)
    # Just the number: the navigation's badge element wraps it (and hides when empty).
    assert client.get(reverse("inbox_count")).content.strip() == b"4"
    response = client.post(reverse("inbox_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=world.bob, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=world.carol, read_at__isnull=True).exists()
    assert client.get(reverse("inbox_count")).content.strip() == b""
    assert AuditEntry.objects.filter(action="inbox.read_all").count() == 1


# --- API ----------------------------------------------------------------------------------


def test_api_lists_counts_and_marks_read(world, client, messages_for_bob):
    client.force_login(world.bob)
    response = client.get("/api/inbox/", {"unread": "true"})
    assert response.status_code == 200 and response.json()["count"] == 4
    assert client.get("/api/inbox/count").json() == {"unread": 4}
    first = messages_for_bob[0].pk
    response = client.post(f"/api/inbox/{first}/read", content_type=J)
    assert response.status_code == 200 and response.json()["read_at"] is not None
    assert client.get("/api/inbox/count").json() == {"unread": 3}
    assert client.post("/api/inbox/read-all", content_type=J).json() == {"marked": 3}
    other = Notification.objects.get(user=world.carol).pk
    assert client.post(f"/api/inbox/{other}/read", content_type=J).status_code == 404


def test_api_needs_authentication(client):
    assert client.get("/api/inbox/").status_code == 401
