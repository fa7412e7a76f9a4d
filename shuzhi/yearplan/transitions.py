"""The status machines of the year's plan, each the one table of its allowed moves.

- :data:`TASK_LIST` — a 重点任务清单 is drafted, then published (``keytasks.services``);
  later changes are versions of the published list, not moves back to draft;
- :data:`DUTY_LIST` — a 责任清单 is drafted, filed (备案) with the superior's organisation
  department, which approves it or returns it with comments (``duties.services``).
"""

from __future__ import annotations

from shuzhi.core.transitions import Machine, Transition, register
from shuzhi.yearplan.duties.models import DutyList
from shuzhi.yearplan.duties.models import DutyStatus as DS
from shuzhi.yearplan.duties.policies import can_review, can_write
from shuzhi.yearplan.keytasks.models import ListStatus as LS
from shuzhi.yearplan.keytasks.models import TaskList
from shuzhi.yearplan.keytasks.policies import CHANGE, can_list

TASK_LIST = register(
    Machine(
        name="yearplan.task_list",
        model=TaskList,
        transitions=[
            Transition(LS.DRAFT, LS.PUBLISHED, "发布", CHANGE, action="yearplan.list.publish"),
        ],
        policy=lambda user, task_list, move: can_list(user, CHANGE, task_list),
        scope_path=lambda task_list: task_list.host.path,
        denied=lambda task_list, move: "您没有权限发布该重点任务清单。",
        refused=lambda machine, task_list, source, target: {
            "__all__": "清单已发布；如需修改，请逐项修改并填写理由。"
        },
        related=("host",),
        touch=("updated_at",),
    )
)

DUTY_LIST = register(
    Machine(
        name="yearplan.duty_list",
        model=DutyList,
        transitions=[
            Transition(DS.DRAFT, DS.FILED, "报上级备案", "write", action="yearplan.duty.file"),
            Transition(DS.RETURNED, DS.FILED, "重新报备", "write", action="yearplan.duty.file"),
            Transition(DS.FILED, DS.APPROVED, "同意备案", "review", action="yearplan.duty.approve"),
            Transition(
                DS.FILED,
                DS.RETURNED,
                "退回修改",
                "review",
                action="yearplan.duty.return",
                requires_reason=True,
            ),
        ],
        policy=lambda user, duty_list, move: (
            can_write(user, duty_list)
            if move.permission == "write"
            else can_review(user, duty_list)
        ),
        scope_path=lambda duty_list: duty_list.unit.path,
        denied=lambda duty_list, move: f"您没有权限“{move.label}”。",
        reason_missing=lambda move: {"reason": "退回须填写意见。"},
        related=("unit", "unit__parent"),
        touch=("updated_at",),
    )
)
