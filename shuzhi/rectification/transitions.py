"""The rectification state machine: the one table of allowed moves of a problem.

Each move names the action a user needs for it (``problem.rectify`` for the unit doing the
work, ``problem.verify`` for the verifier), whether a reason must be written, and the button
label. ``services.transition`` moves a problem through :func:`shuzhi.core.transitions.apply`
with this machine and nothing else decides a move. Closing (销号) additionally needs a verifier
other than the responsible person, a verdict and at least one piece of evidence — checked in
the service.
"""

from __future__ import annotations

from shuzhi.core import clock
from shuzhi.core.transitions import Machine, Transition, register

from .models import Problem, ProblemTransition
from .models import ProblemStatus as S
from .policies import can_problem

RECTIFY, VERIFY = "problem.rectify", "problem.verify"


def _label(status: str) -> str:
    try:
        return str(S(status).label)
    except ValueError:
        return status or "—"


def record_move(problem: Problem, *, actor, source: str, target: str, note: str) -> None:
    """Write the history row (``ProblemTransition``) of one move of ``problem``."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is not None:
        label = getattr(user, "display_name", "") or user.get_username()
    else:
        label = str(actor or "")
    ProblemTransition.objects.create(
        problem=problem,
        from_status=source,
        to_status=target,
        actor=user,
        actor_label=label[:150],
        reason=note,
    )


def _closing(problem: Problem, move: Transition, actor) -> None:
    """Closing (销号) records who verified and when, whichever path closes the item."""
    if move.target == S.CLOSED:
        problem.verifier = actor if getattr(actor, "is_authenticated", False) else None
        problem.verified_on = clock.today()


PROBLEM = register(
    Machine(
        name="rectification.problem",
        model=Problem,
        transitions=[
            Transition(S.OPEN, S.IN_PROGRESS, "开始整改", RECTIFY),
            Transition(S.OPEN, S.LONG_TERM, "列为持续整改", VERIFY, requires_reason=True),
            Transition(S.IN_PROGRESS, S.SUBMITTED, "整改完成，提请验收", RECTIFY),
            Transition(S.IN_PROGRESS, S.LONG_TERM, "列为持续整改", VERIFY, requires_reason=True),
            Transition(S.SUBMITTED, S.CLOSED, "验收通过，销号", VERIFY),
            Transition(
                S.SUBMITTED, S.IN_PROGRESS, "验收不通过，退回整改", VERIFY, requires_reason=True
            ),
            Transition(S.SUBMITTED, S.LONG_TERM, "列为持续整改", VERIFY, requires_reason=True),
            Transition(S.LONG_TERM, S.SUBMITTED, "整改完成，提请验收", RECTIFY),
            Transition(S.LONG_TERM, S.IN_PROGRESS, "恢复为限期整改", VERIFY, requires_reason=True),
        ],
        policy=lambda user, problem, move: can_problem(user, move.permission, problem),
        action="problem.transition",
        scope_path=lambda problem: problem.unit_path,
        denied=lambda problem, move: f"您没有权限对该问题执行“{move.label}”。",
        refused=lambda machine, problem, source, target: {
            "to_status": f"问题当前状态为“{_label(source)}”，不能变更为“{_label(target)}”。"
        },
        history=record_move,
        related=("unit", "source", "responsible_person"),
        touch=("updated_at",),
        stamp="status_changed_at",
        prepare=_closing,
        prepares=("verifier", "verified_on"),
    )
)
