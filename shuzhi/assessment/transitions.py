"""The status machines of the assessment app, each the one table of its allowed moves.

- :data:`INDICATOR_SET` — a 考核指标体系 is drafted, then published (``services.publish_set``);
- :data:`ADJUSTMENT` — a 加减分 request is approved or rejected (``services.decide_adjustment``);
- :data:`GRADING` — the 综合评定 is computed (and recomputed), then confirmed
  (``grading.services.compute_suggestions`` / ``confirm_grades``);
- :data:`FOLLOW_UP` — a consequence (约谈, 表扬…) is done or cancelled (``results.services``);
- :data:`CIRCULAR` — the 通报 is drafted, then issued (``results.services.issue_circular``).

Each moves only through :func:`shuzhi.core.transitions.apply`; the services add the domain
checks and the other fields of a move.
"""

from __future__ import annotations

from shuzhi.assessment.grading.models import Grading
from shuzhi.assessment.grading.models import GradingStatus as G
from shuzhi.assessment.grading.policies import can_manage as can_manage_grading
from shuzhi.assessment.indicators.models import Adjustment, IndicatorSet
from shuzhi.assessment.indicators.models import AdjustmentStatus as A
from shuzhi.assessment.indicators.models import SetStatus as SS
from shuzhi.assessment.indicators.policies import CHANGE, can_approve, can_set
from shuzhi.assessment.results.models import Circular, FollowUp
from shuzhi.assessment.results.models import CircularStatus as C
from shuzhi.assessment.results.models import FollowUpStatus as F
from shuzhi.assessment.results.policies import can_complete
from shuzhi.assessment.results.policies import can_manage as can_manage_results
from shuzhi.core import clock
from shuzhi.core.transitions import Machine, Transition, register

INDICATOR_SET = register(
    Machine(
        name="assessment.indicator_set",
        model=IndicatorSet,
        transitions=[
            Transition(SS.DRAFT, SS.PUBLISHED, "发布", CHANGE, action="assessment.set.publish"),
        ],
        policy=lambda user, indicator_set, move: can_set(user, CHANGE, indicator_set),
        scope_path=lambda indicator_set: indicator_set.host.path,
        denied=lambda indicator_set, move: "您没有权限修改该考核指标体系。",
        refused=lambda machine, indicator_set, source, target: {
            "__all__": "指标体系已发布，不能再修改。"
        },
        related=("host",),
        touch=("updated_at",),
    )
)

ADJUSTMENT = register(
    Machine(
        name="assessment.adjustment",
        model=Adjustment,
        transitions=[
            Transition(A.PENDING, A.APPROVED, "批准", "approve"),
            Transition(A.PENDING, A.REJECTED, "不予批准", "approve", requires_reason=True),
        ],
        policy=lambda user, adjustment, move: can_approve(user, adjustment),
        action="assessment.adjustment.decide",
        scope_path=lambda adjustment: adjustment.annual.unit.path,
        denied=lambda adjustment, move: "您没有权限审批加减分。",
        refused=lambda machine, adjustment, source, target: {
            "__all__": "该加减分已审批，不能重复审批。"
        },
        reason_missing=lambda move: {"note": "不予批准时请写明意见。"},
        related=("annual__set__host", "annual__unit"),
    )
)


def _grading_refused(machine: Machine, grading: Grading, source: str, target: str) -> dict:
    if target == G.SUGGESTED:
        return {"status": "评定结果已确定，不能重新计算。"}
    if target == G.CONFIRMED:
        return {"status": "只有已生成建议等次、尚未确定的评定可以确定。"}
    return {
        "status": f"评定状态不能从“{machine.label_of(source)}”改为“{machine.label_of(target)}”。"
    }


GRADING = register(
    Machine(
        name="assessment.grading",
        model=Grading,
        transitions=[
            Transition(G.DRAFT, G.SUGGESTED, "计算建议等次", "manage", action="grading.compute"),
            Transition(G.SUGGESTED, G.SUGGESTED, "重新计算", "manage", action="grading.compute"),
            Transition(G.SUGGESTED, G.CONFIRMED, "确定等次", "manage", action="grading.confirm"),
        ],
        policy=lambda user, grading, move: can_manage_grading(user, grading.round),
        scope_path=lambda grading: grading.round.host.path,
        denied=lambda grading, move: "您没有评定本次述职评议等次的权限。",
        refused=_grading_refused,
        related=("round__host",),
        touch=("updated_at",),
    )
)


def _may_follow_up(user, follow_up: FollowUp, move: Transition) -> bool:
    if move.target == F.DONE:
        return can_complete(user, follow_up)
    return can_manage_results(user, follow_up.round)


def _follow_up_refused(machine: Machine, follow_up: FollowUp, source: str, target: str) -> dict:
    verb = "撤销" if target == F.CANCELLED else "再办理"
    return {"__all__": f"该事项{machine.label_of(source)}，不能{verb}。"}


FOLLOW_UP = register(
    Machine(
        name="assessment.follow_up",
        model=FollowUp,
        transitions=[
            Transition(F.OPEN, F.DONE, "办理完成", "complete", action="followup.done"),
            Transition(
                F.OPEN,
                F.CANCELLED,
                "撤销",
                "manage",
                action="followup.cancel",
                requires_reason=True,
            ),
        ],
        policy=_may_follow_up,
        scope_path=lambda follow_up: follow_up.round.host.path,
        denied=lambda follow_up, move: (
            "您没有权限办理该事项。" if move.target == F.DONE else "您没有权限撤销该事项。"
        ),
        refused=_follow_up_refused,
        reason_missing=lambda move: {"reason": "请填写撤销原因。"},
        related=("round__host", "reporter__unit", "with_person", "conductor_user"),
        touch=("updated_at",),
    )
)


def _issuing(circular: Circular, move: Transition, actor) -> None:
    """An issued circular records when and by whom, whichever path issues it."""
    circular.issued_at = clock.now()
    circular.issued_by = actor if getattr(actor, "is_authenticated", False) else None


CIRCULAR = register(
    Machine(
        name="assessment.circular",
        model=Circular,
        transitions=[Transition(C.DRAFT, C.ISSUED, "印发", "manage", action="circular.issue")],
        policy=lambda user, circular, move: can_manage_results(user, circular.round),
        scope_path=lambda circular: circular.round.host.path,
        denied=lambda circular, move: "您没有权限印发该通报。",
        refused=lambda machine, circular, source, target: {"__all__": "通报已印发，不能再修改。"},
        related=("round__host",),
        touch=("updated_at",),
        prepare=_issuing,
        prepares=("issued_at", "issued_by"),
    )
)
