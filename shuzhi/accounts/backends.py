"""Authentication that slows down password guessing without letting anyone lock the owner out.

Failures are counted twice in the shared ``throttle`` cache (:mod:`shuzhi.core.throttle`):

- per account *and* address: past ``SHUZHI_LOGIN_MAX_FAILURES`` each further failure from that
  address doubles the wait, from ``SHUZHI_LOGIN_BACKOFF_SECONDS`` up to
  ``SHUZHI_LOGIN_LOCK_MINUTES``. Someone guessing from one place never slows the owner down
  elsewhere, so no one can keep an account locked for its owner.
- per address, whatever names are tried (``SHUZHI_LOGIN_ADDRESS_MAX_FAILURES``, larger: an
  office's NAT shares one address among hundreds), the same backoff.

Nothing is stored for a name that is not an account: it only counts against the address. The
account's counters are keyed with a piece of its password hash, so a new password (changed or
reset) starts them afresh. Starting a wait on an account is recorded in its audit history.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction

from shuzhi.core import audit, throttle

from .services import user_scope_path

# Set on the request when a sign-in is refused or starts a wait: the form tells the user.
WAIT_ATTRIBUTE = "shuzhi_login_wait"


def wait_message(seconds: int) -> str:
    """The refusal in Chinese, with the wait rounded up to what a person reads."""
    wait = f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"
    return f"登录失败次数过多，请 {wait}后再试。如忘记密码，请联系管理员重置。"


def _account_keys(user, address: str) -> tuple[str, str]:
    marker = (user.password or "")[-16:]
    return (
        throttle.key("login-fail-account", user.pk, marker, address),
        throttle.key("login-block-account", user.pk, marker, address),
    )


def _address_keys(address: str) -> tuple[str, str]:
    return (
        throttle.key("login-fail-address", address),
        throttle.key("login-block-address", address),
    )


def _refuse(request, seconds: int) -> None:
    if request is not None:
        setattr(request, WAIT_ATTRIBUTE, seconds)
    raise PermissionDenied(wait_message(seconds))


def _fail(counter: str, block: str, allowance: int) -> int:
    """Count a failure; the seconds of the wait it starts (0: none)."""
    failures = throttle.count(counter, timeout=settings.SHUZHI_LOGIN_LOCK_MINUTES * 60)
    if failures < allowance:
        return 0
    seconds = throttle.backoff(
        failures - allowance + 1,
        base=settings.SHUZHI_LOGIN_BACKOFF_SECONDS,
        ceiling=settings.SHUZHI_LOGIN_LOCK_MINUTES * 60,
    )
    throttle.block(block, seconds)
    return seconds


class ThrottledModelBackend(ModelBackend):
    """The standard backend, with failures slowed down per account and address (module doc)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        address = throttle.client_address(request) if request is not None else "local"
        address_counter, address_block = _address_keys(address)
        if seconds := throttle.blocked_for(address_block):
            _refuse(request, seconds)
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            # Hash anyway, so the answer takes as long as for a real account.
            User().set_password(password)
            if seconds := _fail(address_counter, address_block, self._address_allowance()):
                _refuse(request, seconds)
            return None
        account_counter, account_block = _account_keys(user, address)
        if seconds := throttle.blocked_for(account_block):
            _refuse(request, seconds)
        if user.check_password(password):
            if not self.user_can_authenticate(user):
                return None
            throttle.forget(account_counter, account_block)
            return user
        seconds = _fail(account_counter, account_block, settings.SHUZHI_LOGIN_MAX_FAILURES)
        if seconds:
            _record_wait(user, seconds)
        seconds = max(seconds, _fail(address_counter, address_block, self._address_allowance()))
        if seconds:
            _refuse(request, seconds)
        return None

    @staticmethod
    def _address_allowance() -> int:
        return settings.SHUZHI_LOGIN_ADDRESS_MAX_FAILURES


def _record_wait(user, seconds: int) -> None:
    """The account's history shows each wait started (not the address, which is not kept)."""
    with transaction.atomic():
        audit.record(
            actor="登录保护",
            action="user.login_throttled",
            obj=user,
            scope_path=user_scope_path(user),
            note=f"同一地址连续登录失败，该地址暂停登录该账号 {seconds} 秒",
        )
