"""The live-report draw as pure functions, so anyone can replay a recorded draw and check it.

A random draw is ``random.Random(seed).sample(sorted unit codes, k)``: the same seed and the
same reporters always give the same units. Rotation puts first every unit that has not
reported live within the window of earlier years, then fills the remaining places by the same
seeded draw over the others.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable


def new_seed() -> str:
    """A fresh, unguessable seed (recorded on the session so the draw can be replayed)."""
    return secrets.token_hex(16)


def random_draw(codes: Iterable[str], count: int, seed: str) -> list[str]:
    """``count`` codes drawn from ``codes`` (sorted first) with ``random.Random(seed)``."""
    pool = sorted(set(codes))
    count = max(0, min(count, len(pool)))
    return random.Random(seed).sample(pool, count)


def rotation_draw(codes: Iterable[str], overdue: Iterable[str], count: int, seed: str) -> list[str]:
    """Every overdue code first (sorted), then a seeded draw of the others for places left.

    Overdue units all report live even when they outnumber ``count``: the rule that each unit
    reports live once every N years comes before the number of live places.
    """
    pool = sorted(set(codes))
    first = sorted(set(overdue) & set(pool))
    rest = [c for c in pool if c not in first]
    return first + random_draw(rest, count - len(first), seed)


def rotation_window(year: int, years: int) -> tuple[int, int]:
    """The earlier years a unit must have reported live in: ``[year-N+1, year-1]``."""
    return year - years + 1, year - 1
