"""Counting refusals per client address (and per account) to slow down guessing.

Counters live in the ``throttle`` cache (``CACHES`` in settings), which is the database by
default: the web workers are separate processes, so a per-process memory cache would give each
worker its own allowance and forget everything at a restart. A counter is read and written
without a lock; two workers counting the same refusal at the same instant may count it once,
which only makes the limit a little more lenient, never stricter.

Addresses and account ids appear only as keyed hashes (HMAC with the secret key) inside cache
keys, never in clear, and counters expire within minutes (expired rows of the database cache are
removed when it is read or culled): the counters must not become a log of who connected from
where.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from django.conf import settings
from django.core.cache import caches

CACHE_ALIAS = "throttle"


def client_address(request) -> str:
    """The address the request came from.

    Behind ``SHUZHI_TRUSTED_PROXIES`` reverse proxies that each append to ``X-Forwarded-For``
    (nginx's ``$proxy_add_x_forwarded_for``), the address the outermost trusted proxy saw; a
    client's own ``X-Forwarded-For`` entries are further left and never read.
    """
    hops = settings.SHUZHI_TRUSTED_PROXIES
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def key(kind: str, *parts: object) -> str:
    """A cache key for ``kind`` and ``parts`` that does not show the parts (addresses)."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"shuzhi:{kind}:{digest[:32]}"


def _cache():
    return caches[CACHE_ALIAS]


def count(name: str, *, timeout: int) -> int:
    """Add one to the counter ``name``, which lives ``timeout`` seconds after its last step;
    return the new value."""
    cache = _cache()
    value = int(cache.get(name) or 0) + 1
    cache.set(name, value, timeout)
    return value


def peek(name: str) -> int:
    """The counter's value (0 when absent or expired)."""
    return int(_cache().get(name) or 0)


def block(name: str, seconds: int) -> None:
    """Refuse ``name`` for ``seconds`` from now."""
    _cache().set(name, time.time() + seconds, seconds)


def blocked_for(name: str) -> int:
    """Whole seconds left of a block on ``name`` (0 when not blocked)."""
    until = _cache().get(name)
    if until is None:
        return 0
    return max(0, math.ceil(float(until) - time.time()))


def forget(*names: str) -> None:
    """Drop counters and blocks."""
    _cache().delete_many(list(names))


def backoff(step: int, *, base: int, ceiling: int) -> int:
    """``base`` seconds doubled for every step past the first, at most ``ceiling``."""
    return int(min(ceiling, base * 2 ** min(max(step - 1, 0), 30)))
