"""The rectification state machine: the one table of allowed moves.

Each move names the action a user needs for it (``problem.rectify`` for the unit doing the
work, ``problem.verify`` for the verifier), whether a reason must be written, and the button
label. ``services.transition`` enforces this table and nothing else decides a move.
Closing (销号) additionally needs a verifier other than the responsible person, a verdict and at
least one piece of evidence — checked in the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import ProblemStatus as S


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    needs_reason: bool = False


TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.OPEN, S.IN_PROGRESS): Move("problem.rectify", "开始整改"),
    (S.OPEN, S.LONG_TERM): Move("problem.verify", "列为持续整改", needs_reason=True),
    (S.IN_PROGRESS, S.SUBMITTED): Move("problem.rectify", "整改完成，提请验收"),
    (S.IN_PROGRESS, S.LONG_TERM): Move("problem.verify", "列为持续整改", needs_reason=True),
    (S.SUBMITTED, S.CLOSED): Move("problem.verify", "验收通过，销号"),
    (S.SUBMITTED, S.IN_PROGRESS): Move("problem.verify", "验收不通过，退回整改", needs_reason=True),
    (S.SUBMITTED, S.LONG_TERM): Move("problem.verify", "列为持续整改", needs_reason=True),
    (S.LONG_TERM, S.SUBMITTED): Move("problem.rectify", "整改完成，提请验收"),
    (S.LONG_TERM, S.IN_PROGRESS): Move("problem.verify", "恢复为限期整改", needs_reason=True),
}


def allowed_targets(status: str) -> list[str]:
    """The statuses reachable from ``status`` in one move."""
    return [to for (frm, to) in TRANSITIONS if frm == status]


def move_for(from_status: str, to_status: str) -> Move | None:
    """The move from ``from_status`` to ``to_status``, or None when the table forbids it."""
    return TRANSITIONS.get((from_status, to_status))
