"""Sign-in: throttling per account and address, argon2, sessions, CSRF and logout."""

from __future__ import annotations

import datetime
import importlib
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from shuzhi.accounts import backends, services
from shuzhi.core import throttle
from shuzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

WAIT_MESSAGE = "登录失败次数过多，请"
ATTACKER = "203.0.113.7"
OWNER = "10.1.2.3"
CACHE_TABLE = "shuzhi_throttle"  # settings CACHES["throttle"]["LOCATION"]


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.smoke
def test_login_success_and_wrong_password(world, client):
    response = _login(client, "alice", "wrong")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    response = _login(client, "alice", "pw-alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def _login_from(address, username, password, client=None):
    client = client or Client()
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _waits(response) -> bool:
    return WAIT_MESSAGE in response.content.decode()


@pytest.mark.smoke
def test_failures_from_one_address_slow_that_address_down_for_that_account(world):
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES - 1):
        assert not _waits(_login_from(ATTACKER, "bob", "wrong"))
    response = _login_from(ATTACKER, "bob", "wrong")
    assert _waits(response) and "30 秒" in response.content.decode()
    # Even the right password waits, from that address…
    client = Client()
    assert _waits(_login_from(ATTACKER, "bob", "pw-bob", client))
    assert "_auth_user_id" not in client.session
    # …but the owner at their own desk signs in: no one can lock the owner out from elsewhere.
    assert _login_from(OWNER, "bob", "pw-bob").status_code == 302
    # Another account from the attacker's address is not slowed by bob's failures.
    assert _login_from(ATTACKER, "carol", "pw-carol").status_code == 302
    entry = AuditEntry.objects.get(action="user.login_throttled")
    assert entry.object_id == str(world.bob.pk) and "30 秒" in entry.note
    assert ATTACKER not in entry.note


def test_each_further_failure_doubles_the_wait_up_to_the_ceiling(world):
    waits: list[str] = []
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES + 6):
        # Skip the wait itself: only the failures count, not the refused attempts.
        throttle.forget(backends._account_keys(world.bob, ATTACKER)[1])
        response = _login_from(ATTACKER, "bob", "wrong")
        waits.append(response.content.decode().split("请 ")[1][:6] if _waits(response) else "")
    assert waits[: settings.SHUZHI_LOGIN_MAX_FAILURES - 1] == [""] * 4
    assert [w.split("后")[0] for w in waits[4:]] == [
        "30 秒",
        "1 分钟",
        "2 分钟",
        "4 分钟",
        "8 分钟",
        "15 分钟",
        "15 分钟",
    ]


def test_a_wait_ends_and_a_success_clears_the_account_count(world):
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES):
        _login_from(ATTACKER, "bob", "wrong")
    later = time.time() + 31
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(throttle.time, "time", lambda: later)
        assert _login_from(ATTACKER, "bob", "pw-bob").status_code == 302
        # Counting starts again from nothing: one failure does not wait.
        assert not _waits(_login_from(ATTACKER, "bob", "wrong"))


def test_a_new_password_starts_the_counts_afresh(world):
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES):
        _login_from(ATTACKER, "bob", "wrong")
    services.set_password(actor=world.alice, user=world.bob, new_password="Lizhi-2026-secure!")
    assert _login_from(ATTACKER, "bob", "Lizhi-2026-secure!").status_code == 302


@override_settings(SHUZHI_LOGIN_ADDRESS_MAX_FAILURES=8)
def test_unknown_names_store_nothing_but_slow_the_address_down(world):
    tables_before = _row_counts()
    for i in range(7):
        assert not _waits(_login_from(ATTACKER, f"nobody{i}", "wrong"))
    assert _waits(_login_from(ATTACKER, "nobody-else", "wrong"))
    # The address waits whatever name it tries next, real or not…
    assert _waits(_login_from(ATTACKER, "alice", "pw-alice"))
    # …and other addresses do not.
    assert _login_from(OWNER, "alice", "pw-alice").status_code == 302
    # No table gained a row naming the names tried (the cache holds keyed hashes only).
    after = _row_counts()
    grown = {t for t in after if after[t] != tables_before.get(t) and t != CACHE_TABLE}
    assert grown <= {"django_session", "core_auditentry"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value FROM {CACHE_TABLE}")
        stored = " ".join(f"{k} {v}" for k, v in cursor.fetchall())
    assert "nobody" not in stored and ATTACKER not in stored
    assert not AuditEntry.objects.filter(object_label__startswith="nobody").exists()


def test_the_throttle_counts_in_the_shared_database_cache():
    # Several worker processes must share the counts: never a per-process memory cache.
    cache = caches[throttle.CACHE_ALIAS]
    assert isinstance(cache, DatabaseCache)
    assert getattr(cache, "_table", None) == CACHE_TABLE
    assert CACHE_TABLE in connection.introspection.table_names()


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def test_inactive_account_cannot_sign_in(world, client):
    world.erin.is_active = False
    world.erin.save()
    assert _login(client, "erin", "pw-erin").status_code == 200


def test_argon2_is_the_production_hasher():
    base = importlib.import_module("shuzhi.settings.base")
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        assert make_password("Lizhi-2026-secure!").startswith("argon2$")


def test_session_expiry_settings():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_session_cookie_dies_with_the_browser_and_expires_on_the_server(world, client):
    response = _login(client, "alice", "pw-alice")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert client.get(reverse("home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_post_requires_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 403
    page = client.get(reverse("login"))
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "pw-alice", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_logout_is_post_only(world, client):
    client.force_login(world.alice)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_signed_in_user_skips_the_login_page(world, client):
    client.force_login(world.alice)
    assert client.get(reverse("login")).status_code == 302
