"""What the year's plan adds to a report, without the reports app importing it.

The year's plan (``shuzhi.yearplan``) sits above reports in the import graph: it reads reports'
units and years, never the reverse. When a report is first created, its 履职情况 section opens
pre-filled with the key tasks the unit answered for and their progress (DOMAIN.md §2, "the
report answers the plan"); the yearplan app answers by registering a :class:`PlanSide` at start
(``YearplanConfig.ready``). Until one is registered the section opens empty.

Example: ``extensions.side().performance_draft(unit, 2026)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _nothing(unit: Any, year: int) -> str:
    return ""


@dataclass(frozen=True)
class PlanSide:
    """The year's plan's answers to the reports app's questions."""

    # The opening text of 履职情况 for ``unit`` in ``year`` (the key tasks and their progress),
    # or "" when the unit had none.
    performance_draft: Callable[[Any, int], str] = _nothing


_side = PlanSide()


def register(plan_side: PlanSide) -> None:
    """Install the year's plan's answers (called once, from its app config)."""
    global _side
    _side = plan_side


def side() -> PlanSide:
    """The answers in force (the defaults until the yearplan app registers its own)."""
    return _side
