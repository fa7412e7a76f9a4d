"""Authentication with a lock after repeated failures for the same user name."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import LoginLock


class LockoutModelBackend(ModelBackend):
    """The standard backend, refusing a user name for a while after too many failures.

    Failures are counted per user name, not per address: addresses behind a government
    network's NAT are shared by hundreds of people.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username")
        if not username:
            return None
        now = timezone.now()
        lock = LoginLock.objects.filter(username=username).first()
        if lock and lock.locked_until and lock.locked_until > now:
            raise PermissionDenied("locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        _note_attempt(username, succeeded=user is not None, now=now)
        return user


def _note_attempt(username: str, *, succeeded: bool, now: datetime.datetime) -> None:
    window = datetime.timedelta(minutes=settings.SHUZHI_LOGIN_LOCK_MINUTES)
    with transaction.atomic():
        if succeeded:
            LoginLock.objects.filter(username=username).delete()
            return
        lock, _ = LoginLock.objects.select_for_update().get_or_create(username=username)
        if lock.first_failure_at is None or now - lock.first_failure_at > window:
            lock.failures = 0
            lock.first_failure_at = now
        lock.failures += 1
        if lock.failures >= settings.SHUZHI_LOGIN_MAX_FAILURES:
            lock.locked_until = now + window
        lock.save()


def is_locked(username: str) -> bool:
    return LoginLock.objects.filter(username=username, locked_until__gt=timezone.now()).exists()
