"""Every write to responsibility lists: start (pre-filled), add an item, claim, file, review.

Bad input raises ``ValidationError`` with Chinese messages and changes nothing; each write is
one transaction with its audit entry; filing and review move through the transition engine.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from shuzhi.core import audit, clock
from shuzhi.core.notify import notify
from shuzhi.core.transitions import apply
from shuzhi.orgs.people.models import Post, PostRole
from shuzhi.orgs.tree.models import Unit
from shuzhi.yearplan.keytasks import services as task_services
from shuzhi.yearplan.keytasks.models import TargetKind
from shuzhi.yearplan.progress.policies import can_report, unit_accounts
from shuzhi.yearplan.progress.selectors import applicable_tasks
from shuzhi.yearplan.transitions import DUTY_LIST

from .models import DutyItem, DutyList, DutyRole, DutyStatus
from .policies import can_write


def _secretary_name(unit: Unit) -> str:
    post = (
        Post.objects.filter(unit=unit, role=PostRole.SECRETARY, end_date__isnull=True)
        .select_related("person")
        .order_by("-start_date")
        .first()
    )
    return post.person.name if post else ""


def start_list(*, actor, unit: Unit, year: int) -> DutyList:
    """Start ``unit``'s list for ``year``, one 第一责任人 item per key task that applies to it
    (its target and deadline copied), so nobody types the plan twice."""
    if not can_report(actor, unit):
        raise PermissionDenied("您没有权限编制该单位的责任清单。")
    if DutyList.objects.filter(unit=unit, year=year).exists():
        raise ValidationError({"year": f"{unit.name}已有{year}年度责任清单。"})
    tasks = applicable_tasks(unit, year)
    secretary = _secretary_name(unit)
    with transaction.atomic():
        duty_list = DutyList.objects.create(unit=unit, year=year)
        DutyItem.objects.bulk_create(
            DutyItem(
                duty_list=duty_list,
                role=DutyRole.SECRETARY,
                person_name=secretary,
                task=f"{task.title}：目标{task.target_text}",
                deadline=(
                    task.target_date
                    if task.target_kind == TargetKind.DATE and task.target_date
                    else datetime.date(year, 12, 31)
                ),
                key_task=task,
                sort_order=position,
            )
            for position, task in enumerate(tasks, start=1)
        )
        audit.record(
            actor=actor,
            action="yearplan.duty.start",
            obj=duty_list,
            scope_path=unit.path,
            note=f"由 {len(tasks)} 项重点任务预填",
        )
    return duty_list


def _require_editable(actor, duty_list: DutyList) -> None:
    if not can_write(actor, duty_list):
        raise PermissionDenied("您没有权限修改该责任清单。")
    if not duty_list.editable:
        raise ValidationError({"__all__": "责任清单已报备案，不能修改；如需修改请由上级退回。"})


def add_item(
    *,
    actor,
    duty_list: DutyList,
    role: str,
    task: str,
    deadline: datetime.date | None,
    person_name: str = "",
    portfolio: str = "",
    department: str = "",
) -> DutyItem:
    """Add the unit's own item (a team member's portfolio item, a department's task …)."""
    _require_editable(actor, duty_list)
    errors: dict[str, str] = {}
    task = (task or "").strip()
    if role not in DutyRole.values:
        errors["role"] = "请选择责任类型。"
    if not task:
        errors["task"] = "请填写任务。"
    if deadline is None:
        errors["deadline"] = "请填写完成时限。"
    elif deadline.year != duty_list.year:
        errors["deadline"] = f"完成时限须在{duty_list.year}年内。"
    if role in (DutyRole.SECRETARY, DutyRole.MEMBER) and not (person_name or "").strip():
        errors["person_name"] = "请填写责任人。"
    if role == DutyRole.MEMBER and not (portfolio or "").strip():
        errors["portfolio"] = "班子成员事项须写明分管领域（一岗双责）。"
    if role == DutyRole.DEPARTMENT and not (department or "").strip():
        errors["department"] = "请填写责任部门。"
    if errors:
        raise ValidationError(errors)
    assert deadline is not None
    with transaction.atomic():
        item = DutyItem.objects.create(
            duty_list=duty_list,
            role=role,
            task=task,
            deadline=deadline,
            person_name=(person_name or "").strip(),
            portfolio=(portfolio or "").strip(),
            department=(department or "").strip(),
            sort_order=duty_list.items.count() + 1,
        )
        audit.record(
            actor=actor, action="yearplan.duty.item.add", obj=item, scope_path=duty_list.unit.path
        )
    return item


def claiming_on(unit: Unit) -> bool:
    """Is 认领 switched on by the unit's superior (the host of its plan)?"""
    parent = unit.parent
    return parent is not None and task_services.settings_for(parent).claiming


def claim_item(*, actor, item: DutyItem) -> DutyItem:
    """The responsible person claims an item (认领) — only where the host switched it on."""
    duty_list = item.duty_list
    _require_editable(actor, duty_list)
    if not claiming_on(duty_list.unit):
        raise ValidationError({"__all__": "上级未开启责任清单逐项认领，无需认领。"})
    if item.claimed_at is not None:
        raise ValidationError({"__all__": "该事项已认领。"})
    with transaction.atomic():
        item.claimed_at = clock.now()
        item.save(update_fields=["claimed_at"])
        audit.record(
            actor=actor, action="yearplan.duty.claim", obj=item, scope_path=duty_list.unit.path
        )
    return item


def file_list(*, actor, duty_list: DutyList) -> DutyList:
    """File the list (备案) with the superior's organisation department."""

    def validate(obj: DutyList, move) -> dict[str, str] | None:
        if not obj.items.exists():
            return {"__all__": "责任清单没有事项，不能报备。"}
        if claiming_on(obj.unit) and obj.items.filter(claimed_at__isnull=True).exists():
            return {"__all__": "还有事项未认领，请逐项认领后再报备。"}
        return None

    def prepare(obj: DutyList, move) -> None:
        obj.filed_at = clock.now()

    return apply(
        DUTY_LIST,
        actor=actor,
        obj=duty_list,
        to=DutyStatus.FILED,
        validate=validate,
        prepare=prepare,
        update_fields=["filed_at"],
    )


def review_list(*, actor, duty_list: DutyList, approve: bool, comment: str = "") -> DutyList:
    """Approve the filing, or return the list with comments (required)."""
    comment = (comment or "").strip()

    def prepare(obj: DutyList, move) -> None:
        obj.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        obj.reviewed_at = clock.now()
        obj.review_comment = comment

    duty_list = apply(
        DUTY_LIST,
        actor=actor,
        obj=duty_list,
        to=DutyStatus.APPROVED if approve else DutyStatus.RETURNED,
        reason=comment,
        prepare=prepare,
        update_fields=["reviewed_by", "reviewed_at", "review_comment"],
    )
    if not approve:
        with transaction.atomic():
            for user in unit_accounts([duty_list.unit_id]):
                notify(
                    user=user,
                    kind="keytasks",
                    title=f"{duty_list}被退回修改",
                    body=comment,
                    url=reverse("yearplan_duty_detail", args=[duty_list.pk]),
                    key=f"duty-return:{duty_list.pk}:{duty_list.reviewed_at:%Y%m%d%H%M%S}",
                )
    return duty_list
