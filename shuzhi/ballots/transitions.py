"""The ballot round's status machine: the one table of allowed moves of a round of voting.

A round opens as 投票中 (``services.open_round`` creates it so); ``services.close_round`` ends
it (已结束, or 已作废 when more ballots came back than were issued), ``paper.count_agreed``
voids it when counted paper sheets overflow, and ``services.publish_round`` publishes a valid
closed round. Each goes through :func:`shuzhi.core.transitions.apply` with :data:`BALLOT_ROUND`.
The audit entries name the move and the number of ballots, never what anyone voted.
"""

from __future__ import annotations

from shuzhi.core.transitions import Machine, Transition, register

from .models import BallotRound
from .models import BallotRoundStatus as S
from .policies import can_manage

MANAGE = "ballot.manage"


def _refused(machine: Machine, ballot_round: BallotRound, source: str, target: str) -> dict:
    if target in (S.CLOSED, S.VOID):
        return {"round": "只能结束正在进行的投票。"}
    if target == S.PUBLISHED:
        return {"round": "只能公布已结束且有效的投票。"}
    return {
        "round": f"投票状态不能从“{machine.label_of(source)}”改为“{machine.label_of(target)}”。"
    }


BALLOT_ROUND = register(
    Machine(
        name="ballots.round",
        model=BallotRound,
        transitions=[
            Transition(S.OPEN, S.CLOSED, "结束投票", MANAGE, action="ballot.round_close"),
            Transition(S.OPEN, S.VOID, "结束投票（作废）", MANAGE, action="ballot.round_close"),
            Transition(S.CLOSED, S.PUBLISHED, "公布结果", MANAGE, action="ballot.round_publish"),
        ],
        policy=lambda user, ballot_round, move: can_manage(user, ballot_round),
        scope_path=lambda ballot_round: ballot_round.session.round.host.path,
        denied=lambda ballot_round, move: "您没有权限管理该会议的投票。",
        refused=_refused,
        related=("session__round__host",),
    )
)
