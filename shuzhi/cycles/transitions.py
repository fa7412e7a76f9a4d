"""The round's status machine: the one table of allowed moves of a 年度述职评议.

``services.transition_round`` moves a round through :func:`shuzhi.core.transitions.apply` with
:data:`ROUND`.
"""

from __future__ import annotations

from shuzhi.core.transitions import Machine, Transition, register

from .models import Round
from .models import RoundStatus as S
from .policies import can_round

ROUND = register(
    Machine(
        name="cycles.round",
        model=Round,
        transitions=[
            Transition(S.DRAFT, S.ACTIVE, "启动", "round.change"),
            Transition(S.ACTIVE, S.CLOSED, "结束", "round.change"),
        ],
        policy=lambda user, round, move: can_round(user, move.permission, round),
        action="round.status",
        scope_path=lambda round: round.host.path,
        denied=lambda round, move: "您没有权限修改该年度述职评议。",
        refused=lambda machine, round, source, target: {
            "status": f"不能从“{machine.label_of(source)}”改为“{machine.label_of(target)}”。"
        },
        related=("host",),
        touch=("updated_at",),
    )
)
