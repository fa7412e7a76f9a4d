"""The session's status machine: the one table of allowed moves of a review meeting.

``services.transition_session`` (pages, API, and the ballots app when the first formal ballot
opens) moves a session through :func:`shuzhi.core.transitions.apply` with :data:`SESSION`.
"""

from __future__ import annotations

from shuzhi.core.transitions import Machine, Transition, register

from .models import Session
from .models import SessionStatus as S
from .policies import can_session

SESSION = register(
    Machine(
        name="meetings.session",
        model=Session,
        transitions=[
            Transition(S.PLANNED, S.IN_PROGRESS, "开始会议", "round.change"),
            Transition(S.IN_PROGRESS, S.CLOSED, "结束会议", "round.change"),
            Transition(S.CLOSED, S.PUBLISHED, "公布结果", "round.change"),
        ],
        policy=lambda user, session, move: can_session(user, move.permission, session),
        action="session.status",
        scope_path=lambda session: session.round.host.path,
        denied=lambda session, move: "您没有权限管理该会议。",
        refused=lambda machine, session, source, target: {
            "status": f"会议状态不能从“{machine.label_of(source)}”"
            f"改为“{machine.label_of(target)}”。"
        },
        related=("round", "round__host"),
        touch=("updated_at",),
    )
)
