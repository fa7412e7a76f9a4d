"""Sign-in: lockout, argon2, sessions, CSRF and logout."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from shuzhi.accounts.models import LoginLock

pytestmark = pytest.mark.django_db

LOCK_MESSAGE = "登录失败次数过多，该账号已暂时锁定"


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


@pytest.mark.smoke
def test_lockout_after_max_failures_refuses_even_the_right_password(world, client):
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES - 1):
        assert LOCK_MESSAGE not in _login(client, "bob", "wrong").content.decode()
    response = _login(client, "bob", "wrong")
    assert LOCK_MESSAGE in response.content.decode()
    response = _login(client, "bob", "pw-bob")
    assert response.status_code == 200
    assert LOCK_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Other accounts are not affected.
    assert _login(Client(), "carol", "pw-carol").status_code == 302


def test_lock_ends_when_the_window_passes_and_success_resets(world, client):
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES):
        _login(client, "bob", "wrong")
    lock = LoginLock.objects.get(username="bob")
    assert lock.locked_until is not None
    assert lock.locked_until > timezone.now()
    later = timezone.now() + datetime.timedelta(minutes=settings.SHUZHI_LOGIN_LOCK_MINUTES + 1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later)
        assert _login(client, "bob", "pw-bob").status_code == 302
    assert not LoginLock.objects.filter(username="bob").exists()


def test_failures_outside_the_window_do_not_add_up(world, client):
    for _ in range(settings.SHUZHI_LOGIN_MAX_FAILURES - 1):
        _login(client, "bob", "wrong")
    LoginLock.objects.filter(username="bob").update(
        first_failure_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = _login(client, "bob", "wrong")
    assert LOCK_MESSAGE not in response.content.decode()
    assert LoginLock.objects.get(username="bob").failures == 1


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
