"""Every change to the organisation tree goes through these functions.

Each takes keyword-only arguments and the acting user, checks permission through
:mod:`shuzhi.orgs.tree.policies`, validates, writes in one transaction and records an audit entry in
that same transaction. Errors are raised as ``ValidationError`` (with Chinese messages per
field) or ``PermissionDenied``; a failed call leaves the database as it was.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuzhi.core import audit, transitions
from shuzhi.core.transitions import Transition
from shuzhi.kernel.scope import is_global
from shuzhi.orgs.transitions import UNIT
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree import policies
from shuzhi.orgs.tree.models import (
    CODE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SHORT_NAME_MAX_LENGTH,
    Unit,
    UnitStatus,
    UnitType,
    child_path,
)

UNIT_FIELDS = ("code", "name", "short_name", "type", "sort_order")


def _require(actor, action: str, unit: Unit | None) -> None:
    if unit is None:
        if not is_global(actor):
            raise PermissionDenied("只有系统管理员可以创建顶级组织。")
        return
    if not policies.can(actor, action, unit):
        raise PermissionDenied("您没有权限对该组织执行此操作。")


def _clean_text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"{label}不能为空。"})
    if len(text) > max_length:
        raise ValidationError(
            {field: f"{label}不能超过 {max_length} 个字符（现有 {len(text)} 个）。"}
        )
    return text


def _unusable_code(code: str) -> ValidationError:
    """The one answer for a code that cannot be used, whatever the reason the asker may not
    learn: a malformed code and a code taken by a unit outside their sight read the same, so
    the form is no oracle for which codes exist elsewhere in the tree."""
    return ValidationError(
        {"code": f"组织代码“{code}”不可用：不能包含空格或斜杠，也不能与已有组织重复。"}
    )


def _clean_code(code: str, *, actor, exclude_pk: int | None = None) -> str:
    code = _clean_text(
        code, field="code", label="组织代码", max_length=CODE_MAX_LENGTH, required=True
    )
    if any(ch.isspace() for ch in code) or "/" in code:
        raise _unusable_code(code)
    clash = Unit.objects.filter(code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    taken = clash.only("path", "depth").first()
    if taken is not None:
        if is_global(actor) or policies.can(actor, "unit.view", taken):
            raise ValidationError({"code": f"组织代码“{code}”已被使用。"})
        raise _unusable_code(code)
    return code


def _scope_path(unit: Unit) -> str:
    return unit.path


@transaction.atomic
def create_unit(
    *,
    actor,
    parent: Unit | None,
    code: str,
    name: str,
    type: UnitType,
    short_name: str = "",
    sort_order: int = 0,
) -> Unit:
    """Create a unit under ``parent`` (or a root when ``parent`` is None; administrators only)."""
    _require(actor, "unit.change", parent)
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": "不能在已合并或已撤销的组织下新建组织。"})
    unit = Unit(
        code=_clean_code(code, actor=actor),
        name=_clean_text(
            name, field="name", label="名称", max_length=NAME_MAX_LENGTH, required=True
        ),
        short_name=_clean_text(
            short_name,
            field="short_name",
            label="简称",
            max_length=SHORT_NAME_MAX_LENGTH,
            required=False,
        ),
        type=type,
        parent=parent,
        sort_order=sort_order,
        # A unique placeholder until the id is known; replaced below in the same transaction.
        path=f"~{uuid.uuid4().hex}",
        depth=(parent.depth + 1) if parent else 1,
    )
    unit.save()
    tree.place_new_unit(unit)
    audit.record(
        actor=actor,
        action="unit.create",
        obj=unit,
        scope_path=unit.path,
        changes={name: [None, value] for name, value in audit.snapshot(unit, UNIT_FIELDS).items()},
    )
    return unit


@transaction.atomic
def update_unit(
    *,
    actor,
    unit: Unit,
    name: str | None = None,
    short_name: str | None = None,
    type: UnitType | None = None,
    code: str | None = None,
    sort_order: int | None = None,
) -> Unit:
    """Rename a unit or change its short name, type, code or sort order."""
    _require(actor, "unit.change", unit)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = audit.snapshot(unit, UNIT_FIELDS)
    if name is not None:
        unit.name = _clean_text(
            name, field="name", label="名称", max_length=NAME_MAX_LENGTH, required=True
        )
    if short_name is not None:
        unit.short_name = _clean_text(
            short_name,
            field="short_name",
            label="简称",
            max_length=SHORT_NAME_MAX_LENGTH,
            required=False,
        )
    if type is not None:
        unit.type = type
    if code is not None and code != unit.code:
        unit.code = _clean_code(code, actor=actor, exclude_pk=unit.pk)
    if sort_order is not None:
        unit.sort_order = sort_order
    changes = audit.diff(before, unit)
    if changes:
        unit.save()
        audit.record(
            actor=actor, action="unit.update", obj=unit, scope_path=unit.path, changes=changes
        )
    return unit


@transaction.atomic
def move_unit(*, actor, unit: Unit, new_parent: Unit) -> Unit:
    """Move ``unit`` and its whole subtree under ``new_parent``.

    Refuses a move into the unit's own subtree (it would make a cycle) and needs the right to
    change both the unit and the new parent.
    """
    # Read both units under the tree lock, so neither path (nor the permission judged on it)
    # can go stale through a concurrent move before this one commits.
    tree.lock_tree()
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    _require(actor, "unit.change", unit)
    _require(actor, "unit.change", new_parent)
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"new_parent": "不能把组织移动到它自己或它的下级组织之下。"})
    if not new_parent.is_active:
        raise ValidationError({"new_parent": "不能移动到已合并或已撤销的组织之下。"})
    if unit.parent_id == new_parent.pk:
        return unit
    old_parent = unit.parent
    tree.move_subtree(
        unit_id=unit.pk,
        old_path=unit.path,
        new_path=child_path(new_parent.path, unit.pk),
        new_parent_id=new_parent.pk,
    )
    unit.refresh_from_db()
    audit.record(
        actor=actor,
        action="unit.move",
        obj=unit,
        scope_path=unit.path,
        changes={"parent": [str(old_parent) if old_parent else None, str(new_parent)]},
    )
    return unit


@transaction.atomic
def merge_unit(*, actor, unit: Unit, into: Unit, date: datetime.date) -> Unit:
    """Merge ``unit`` into ``into``: its children move under ``into`` and it is marked merged."""
    tree.lock_tree()  # as in move_unit
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    into = Unit.objects.get(pk=into.pk)
    _require(actor, "unit.change", unit)
    _require(actor, "unit.change", into)
    transitions.check(UNIT, actor=actor, obj=unit, to=UnitStatus.MERGED)
    if into.pk == unit.pk or into.path.startswith(unit.path):
        raise ValidationError({"into": "不能并入自己或自己的下级组织。"})
    if not into.is_active:
        raise ValidationError({"into": "不能并入已合并或已撤销的组织。"})
    moved = list(unit.children.all())
    for child in moved:
        tree.move_subtree(
            unit_id=child.pk,
            old_path=child.path,
            new_path=child_path(into.path, child.pk),
            new_parent_id=into.pk,
        )
    before = audit.snapshot(unit, ("status", "status_date", "merged_into"))

    def prepare(unit: Unit, move: Transition) -> None:
        unit.status_date = date
        unit.merged_into = into

    return transitions.apply(
        UNIT,
        actor=actor,
        obj=unit,
        to=UnitStatus.MERGED,
        prepare=prepare,
        update_fields=["status_date", "merged_into"],
        changes=lambda merged: audit.diff(before, merged),
        note=f"{len(moved)} 个下级组织转入“{into}”",
        locked=True,
    )


@transaction.atomic
def dissolve_unit(*, actor, unit: Unit, date: datetime.date, reason: str = "") -> Unit:
    """Mark ``unit`` dissolved. Its active children must be moved or dissolved first."""
    _require(actor, "unit.change", unit)
    # Under the tree lock no move can bring an active child in after the check below.
    tree.lock_tree()
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    transitions.check(UNIT, actor=actor, obj=unit, to=UnitStatus.DISSOLVED)
    if unit.children.filter(status=UnitStatus.ACTIVE).exists():
        raise ValidationError({"unit": "该组织还有正常状态的下级组织，请先移动或撤销它们。"})
    before = audit.snapshot(unit, ("status", "status_date"))

    def prepare(unit: Unit, move: Transition) -> None:
        unit.status_date = date

    return transitions.apply(
        UNIT,
        actor=actor,
        obj=unit,
        to=UnitStatus.DISSOLVED,
        prepare=prepare,
        update_fields=["status_date"],
        changes=lambda dissolved: audit.diff(before, dissolved),
        note=reason,
        locked=True,
    )


@transaction.atomic
def reorder_children(*, actor, parent: Unit, ordered_ids: Sequence[int]) -> None:
    """Give ``parent``'s children the order of ``ordered_ids`` (all children, each once)."""
    _require(actor, "unit.change", parent)
    children = {u.pk: u for u in Unit.objects.filter(parent=parent).select_for_update()}
    if sorted(ordered_ids) != sorted(children):
        raise ValidationError({"ordered_ids": "排序列表必须恰好包含该组织的全部下级组织各一次。"})
    changed = []
    for position, pk in enumerate(ordered_ids, start=1):
        unit = children[pk]
        if unit.sort_order != position * 10:
            unit.sort_order = position * 10
            changed.append(unit)
    Unit.objects.bulk_update(changed, ["sort_order"])
    if changed:
        audit.record(
            actor=actor,
            action="unit.reorder",
            obj=parent,
            scope_path=parent.path,
            changes={"children": [None, [children[pk].code for pk in ordered_ids]]},
        )


@transaction.atomic
def create_unit_type(
    *, actor, code: str, name: str, level_label: str, sort_order: int = 100
) -> UnitType:
    """Add a unit type (system administrators only)."""
    if not is_global(actor) and not actor.grants.filter(role="admin").exists():
        raise PermissionDenied("只有系统管理员可以新增组织类型。")
    code = (code or "").strip()
    name = (name or "").strip()
    if not code or not name:
        raise ValidationError({"code": "类型代码和名称都不能为空。"})
    if UnitType.objects.filter(code=code).exists():
        raise ValidationError({"code": f"类型代码“{code}”已存在。"})
    if UnitType.objects.filter(name=name).exists():
        raise ValidationError({"name": f"类型名称“{name}”已存在。"})
    unit_type = UnitType.objects.create(
        code=code, name=name, level_label=level_label.strip(), sort_order=sort_order
    )
    audit.record(
        actor=actor,
        action="unittype.create",
        obj=unit_type,
        changes={"code": [None, code], "name": [None, name], "level_label": [None, level_label]},
    )
    return unit_type
