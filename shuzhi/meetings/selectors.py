"""Reads about review meetings: quorum, the chair's agenda, the draw check — one query per
question where it can be, always on sessions the caller was allowed to load."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from . import services
from .models import LiveDrawMethod, ReportMode, Session, SessionReporter


@dataclass(frozen=True)
class QuorumStatus:
    """Whether enough voters are present: ``met`` when present > quorum_ratio × expected.

    ``needed`` is the smallest head count that meets it.
    """

    met: bool
    expected: int
    present: int
    needed: int


def needed_for(expected: int, ratio: Decimal) -> int:
    """The smallest whole number strictly greater than ``ratio × expected``."""
    return math.floor(Decimal(expected) * Decimal(ratio)) + 1


def quorum_status(session: Session) -> QuorumStatus:
    """应到 and 实到 over all categories, against the round's quorum ratio (one query, plus
    one for the round when it is not loaded)."""
    totals = session.categories.aggregate(expected=Sum("expected"), present=Sum("present"))
    expected = totals["expected"] or 0
    present = totals["present"] or 0
    needed = needed_for(expected, session.round.quorum_ratio)
    return QuorumStatus(met=present >= needed, expected=expected, present=present, needed=needed)


@dataclass
class Agenda:
    """The chair's view: who speaks now, who is next, the order and the written reports."""

    entries: list[SessionReporter]
    current: SessionReporter | None
    next: SessionReporter | None
    live: list[SessionReporter] = field(default_factory=list)
    written: list[SessionReporter] = field(default_factory=list)


def agenda(session: Session) -> Agenda:
    """The agenda of ``session`` in speaking order, with units and people, in one query."""
    entries = list(
        session.reporters.select_related("reporter__unit", "reporter__person").order_by(
            "position", "id"
        )
    )
    live = [e for e in entries if e.mode == ReportMode.LIVE]
    written = [e for e in entries if e.mode == ReportMode.WRITTEN]
    current = next((e for e in live if e.started_at and not e.ended_at), None)
    upcoming = next((e for e in live if e.started_at is None and e is not current), None)
    return Agenda(entries=entries, current=current, next=upcoming, live=live, written=written)


@dataclass(frozen=True)
class DrawCheck:
    """A replay of the recorded draw: what the seed gives and what is on the agenda."""

    replayable: bool
    method: str
    seed: str
    live_count: int
    codes: list[str]
    expected: list[str]
    actual: list[str]

    @property
    def matches(self) -> bool:
        return self.replayable and sorted(self.expected) == sorted(self.actual)


def replay_draw(session: Session) -> DrawCheck:
    """Recompute the draw from the recorded seed over the sorted unit codes and compare."""
    rows = list(session.reporters.values_list("reporter__unit__code", "mode"))
    codes = sorted(code for code, _mode in rows)
    actual = sorted(code for code, mode in rows if mode == ReportMode.LIVE)
    replayable = session.live_draw_method != LiveDrawMethod.MANUAL and bool(session.live_draw_seed)
    expected = services.compute_draw(session, codes) if replayable else []
    return DrawCheck(
        replayable=replayable,
        method=session.live_draw_method,
        seed=session.live_draw_seed,
        live_count=session.live_count,
        codes=codes,
        expected=expected,
        actual=actual,
    )
