"""Slowing down an address that tries vote codes that do not exist.

A code is 8 characters from 31, so guessing one blindly takes billions of tries; this makes
those tries slow. Only unknown codes count, and they are counted per address and minute in the
shared ``throttle`` cache (:mod:`shuzhi.core.throttle`). A hall's phones share one address
through its Wi-Fi NAT: the allowance (``SHUZHI_VOTE_UNKNOWN_PER_MINUTE``, at least 50) is sized
so that 2,000 voters mistyping their codes never reach it. Past it the address is refused for
``SHUZHI_VOTE_BLOCK_SECONDS``, doubled for each further block in a row.

While an address is refused, known codes from it are refused too — otherwise the refusals
would still tell a guesser which codes exist. The known-code path pays for this with one look at
a dictionary of this process, empty unless an address is being refused: a worker learns of a
block from the shared cache the first time the address tries an unknown code there.
"""

from __future__ import annotations

import time

from django.conf import settings

from shuzhi.core import throttle

# Addresses this process refuses, with the time their block ends. Empty in a normal hall.
BLOCKED: dict[str, float] = {}

MESSAGE = "尝试的无效投票码过多，请稍后再试。"
# How long a run of blocks is remembered: a block after a quiet hour starts from the base again.
STRIKE_MEMORY = 3600


def message(seconds: int) -> str:
    """The refusal in Chinese, with the wait."""
    return f"{MESSAGE}（约 {seconds} 秒后可重试）"


def waiting(address: str) -> int:
    """Seconds ``address`` must still wait according to this process (0: go on)."""
    until = BLOCKED.get(address)
    if until is None:
        return 0
    left = until - time.time()
    if left <= 0:
        BLOCKED.pop(address, None)
        return 0
    return int(left) + 1


def note_unknown(request) -> int:
    """Count an unknown code from the request's address; the seconds it must now wait (0: the
    answer is the usual "unknown code")."""
    address = throttle.client_address(request)
    block_key = throttle.key("vote-block", address)
    left = throttle.blocked_for(block_key)
    if not left:
        minute = int(time.time() // 60)
        misses = throttle.count(throttle.key("vote-miss", address, minute), timeout=120)
        if misses <= settings.SHUZHI_VOTE_UNKNOWN_PER_MINUTE:
            return 0
        strikes = throttle.count(throttle.key("vote-strikes", address), timeout=STRIKE_MEMORY)
        left = throttle.backoff(
            strikes,
            base=settings.SHUZHI_VOTE_BLOCK_SECONDS,
            ceiling=settings.SHUZHI_VOTE_BLOCK_MAX_SECONDS,
        )
        throttle.block(block_key, left)
    BLOCKED[address] = time.time() + left
    return left


def refusal(request) -> int:
    """Seconds the request's address must wait before any code is looked up (0: go on).

    Called on every vote request; costs a dictionary lookup only while this process refuses
    some address."""
    if not BLOCKED:
        return 0
    return waiting(throttle.client_address(request))
