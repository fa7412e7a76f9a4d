"""The unit's status machine: an active unit is merged into another or dissolved (撤销).

``services.merge_unit`` and ``services.dissolve_unit`` own the tree work (moving children,
checking what may be merged or dissolved) and change the status only through
:func:`shuzhi.core.transitions.apply` with :data:`UNIT`. A merged or dissolved unit stays in
the tree as the record of what it was; it never becomes active again.
"""

from __future__ import annotations

from shuzhi.core.transitions import Machine, Transition, register
from shuzhi.orgs.tree import policies
from shuzhi.orgs.tree.models import Unit
from shuzhi.orgs.tree.models import UnitStatus as S

CHANGE = "unit.change"

UNIT = register(
    Machine(
        name="orgs.unit",
        model=Unit,
        transitions=[
            Transition(S.ACTIVE, S.MERGED, "合并", CHANGE, action="unit.merge"),
            Transition(S.ACTIVE, S.DISSOLVED, "撤销", CHANGE, action="unit.dissolve"),
        ],
        policy=lambda user, unit, move: policies.can(user, move.permission, unit),
        scope_path=lambda unit: unit.path,
        denied=lambda unit, move: "您没有权限对该组织执行此操作。",
        refused=lambda machine, unit, source, target: {"unit": "该组织已合并或已撤销。"},
        touch=("updated_at",),
    )
)
