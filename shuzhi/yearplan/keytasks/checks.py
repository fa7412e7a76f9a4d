"""The burden-reduction checks on a key-task list, reusing indicator governance.

层层加码 and 越往下越简化 are one rule in Shuzhi: ``assessment.indicators.governance`` checks
indicator sets with it, and this module calls the same ``check_escalation`` and
``check_too_many`` on key tasks (the weight plays the part of the points). One check is the
list's own: a derived task that copies its parent's text verbatim (不得照搬照抄, 2024 rules) is
flagged as a warning. The functions are pure; ``services`` loads the tasks and calls them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shuzhi.assessment.indicators import governance
from shuzhi.assessment.indicators.governance import Finding, ItemView

RULE_COPY = (
    "中共中央办公厅、国务院办公厅《整治形式主义为基层减负若干规定》（2024年）："
    "制定配套文件不得简单照搬照抄上位文件；除专门文件外，不得提出签订责任状、“一票否决”等要求。"
)

# The plan policy's defaults (policy as data; ``PlanSettings.data`` overrides them key by key).
DEFAULTS: dict = {
    "too_many": {
        "enabled": True,
        "max_items_by_depth": {"1": 20, "2": 15, "3": 12, "4": 10},
        "max_items_deeper": 8,
    },
    "escalation": {"enabled": True, "allowed_new_items": 0},
    "copy": {"enabled": True},
    "notice_ladder": [
        {"code": "hint", "name": "提示单", "applies": "all", "fix_days": 0},
        {"code": "urge", "name": "催办单", "applies": "behind", "fix_days": 0},
        {"code": "circular", "name": "通报单", "applies": "behind", "fix_days": 7},
        {"code": "talk", "name": "约谈单", "applies": "behind", "fix_days": 3},
        {"code": "warning", "name": "预警单", "applies": "behind", "fix_days": 0},
    ],
    # 督查检查考核过多过频: how many times a year a host may ask its units for progress.
    "max_progress_requests": 2,
}


def policy_for(data: dict | None) -> dict:
    """The defaults with a host's overrides laid over them."""
    return governance.merge_policy(copy.deepcopy(DEFAULTS), data or {})


@dataclass(frozen=True)
class TaskView:
    """What the checks need to know about a task."""

    id: int | None
    title: str
    description: str = ""
    weight: Decimal = Decimal("0")
    derived_from_id: int | None = None

    def as_item(self) -> ItemView:
        return ItemView(
            id=self.id,
            code="",
            name=self.title,
            description=self.description,
            max_points=_plain(self.weight),
            derived_from_id=self.derived_from_id,
        )


def _plain(value: Decimal) -> Decimal:
    """``20.00`` → ``20`` (messages read the weight as people wrote it)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _normalise(text: str) -> str:
    return re.sub(r"[\s，。、；：,.;:]+", "", text or "")


def copies_parent(task: TaskView, parent: TaskView) -> bool:
    """Does ``task`` copy ``parent``'s words? The description is the text that counts; a task
    without one copies when its title is the parent's title and the parent has no more."""
    mine, theirs = _normalise(task.description), _normalise(parent.description)
    if mine:
        return mine == theirs
    return _normalise(task.title) == _normalise(parent.title) and not theirs


def check_copy(
    tasks: Sequence[TaskView], parents: Sequence[TaskView], *, policy: dict
) -> list[Finding]:
    if not policy.get("copy", {}).get("enabled", True):
        return []
    by_id = {p.id: p for p in parents}
    findings = []
    for task in tasks:
        parent = by_id.get(task.derived_from_id)
        if parent is not None and copies_parent(task, parent):
            findings.append(
                Finding(
                    "copy",
                    "warning",
                    f"任务“{task.title}”照搬照抄上级任务“{parent.title}”的内容，"
                    "请结合本地实际写明具体要求。",
                    item_id=task.id,
                    details={"parent_id": parent.id},
                )
            )
    return findings


def rule_of(finding: Finding) -> str:
    """The rule a finding cites."""
    return RULE_COPY if finding.code == "copy" else finding.rule


def run_all(
    tasks: Sequence[TaskView],
    *,
    host_depth: int,
    parents: Sequence[TaskView] | None,
    policy: dict,
) -> list[Finding]:
    """Every check on one list: 越往下越简化 and 层层加码 (the indicator rule, called here),
    then 照搬照抄."""
    items = [t.as_item() for t in tasks]
    findings = [
        *governance.check_too_many(
            items, host_depth=host_depth, policy=policy, noun="任务", whole="任务清单"
        ),
        *governance.check_escalation(
            items,
            [p.as_item() for p in parents] if parents is not None else None,
            policy=policy,
            noun="任务",
            measure="权重",
            points="权重 {}",
        ),
    ]
    if parents is not None:
        findings.extend(check_copy(tasks, parents, policy=policy))
    return findings


def errors_of(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
