"""Every write to key-task lists: create, derive, edit tasks, publish, revise, settings.

Each service takes keyword arguments with an explicit ``actor``, checks permission, validates
(bad input raises ``ValidationError`` with Chinese messages and changes nothing), writes in one
transaction with an audit entry, and notifies after commit. A derived list is checked against
its parent with the indicator governance rule (``checks.run_all``): a change that would make
it break 层层加码 or 越往下越简化 is refused with the rule cited.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from shuzhi.assessment.indicators.models import IndicatorItem
from shuzhi.core import audit, clock
from shuzhi.core.notify import Message, notify_many
from shuzhi.core.transitions import apply
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit, UnitType
from shuzhi.yearplan.transitions import TASK_LIST

from . import checks
from .models import (
    KeyTask,
    ListStatus,
    PlanSettings,
    TargetKind,
    TaskList,
    TaskListRevision,
    TaskSource,
)
from .policies import CHANGE, can_list, users_to_notify

NOTICE_KIND = "keytasks"
TASK_FIELDS = (
    "code",
    "title",
    "description",
    "target_kind",
    "target_value",
    "target_unit",
    "target_date",
    "weight",
    "checkpoints",
    "source",
    "indicator_id",
    "derived_from_id",
)


# --- Settings ----------------------------------------------------------------------------------


def settings_for(host: Unit) -> PlanSettings:
    """The host's plan settings (an unsaved default row when it has none)."""
    found = PlanSettings.objects.filter(host=host).first()
    return found or PlanSettings(host=host)


def policy_for(host: Unit) -> dict:
    """The host's plan policy: the defaults with its ``PlanSettings.data`` over them."""
    return checks.policy_for(settings_for(host).data)


def save_settings(
    *, actor, host: Unit, pledge_letters: bool, claiming: bool, data: dict | None = None
) -> PlanSettings:
    """Change a host's plan settings (责任状 and 认领 switches, other rules as data)."""
    if not org_policies.can(actor, CHANGE, host):
        raise PermissionDenied("您没有权限修改该单位的年度计划规则。")
    policy = checks.policy_for(data)
    try:
        cap = int(policy["max_progress_requests"])
        if cap < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"data": "每年调度进度次数上限必须是正整数。"}) from None
    with transaction.atomic():
        row = settings_for(host)
        before = audit.snapshot(row, ["pledge_letters", "claiming", "data"])
        row.pledge_letters, row.claiming, row.data = pledge_letters, claiming, data or {}
        row.save()
        audit.record(
            actor=actor,
            action="yearplan.settings.change",
            obj=row,
            scope_path=host.path,
            changes=audit.diff(before, row),
        )
    return row


# --- Lists -------------------------------------------------------------------------------------


def _require_change(actor, task_list: TaskList) -> None:
    if not can_list(actor, CHANGE, task_list):
        raise PermissionDenied("您没有权限修改该重点任务清单。")


def create_list(
    *,
    actor,
    host: Unit,
    year: int,
    title: str,
    doc_number: str = "",
    parent_list: TaskList | None = None,
) -> TaskList:
    """Start a draft list of ``host`` for ``year``; with ``parent_list`` it is derived: each
    parent task applying below ``host`` is copied as a derived draft task (flagged 照搬照抄
    until it is reworded for the locality)."""
    if not org_policies.can(actor, CHANGE, host):
        raise PermissionDenied("您没有权限为该单位制定重点任务清单。")
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写清单名称。"
    if not 2014 <= int(year) <= 2100:
        errors["year"] = "年度不正确。"
    if TaskList.objects.filter(host=host, year=year).exists():
        errors["year"] = f"{host.name}已有{year}年度重点任务清单，请在原清单上修改。"
    if parent_list is not None:
        if not parent_list.is_published:
            errors["parent_list"] = "只能从已发布的上级清单派生。"
        elif parent_list.year != int(year):
            errors["parent_list"] = "派生的清单须与上级清单为同一年度。"
        elif not (host.path.startswith(parent_list.host.path) and host.pk != parent_list.host_id):
            errors["parent_list"] = "只能从上级组织的清单派生。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        task_list = TaskList.objects.create(
            host=host,
            year=year,
            title=title,
            doc_number=(doc_number or "").strip(),
            parent_list=parent_list,
        )
        if parent_list is not None:
            _copy_parent_tasks(task_list, parent_list)
        audit.record(
            actor=actor,
            action="yearplan.list.derive" if parent_list else "yearplan.list.create",
            obj=task_list,
            scope_path=host.path,
            note=f"派生自：{parent_list}" if parent_list else "",
        )
    return task_list


def _copy_parent_tasks(task_list: TaskList, parent_list: TaskList) -> None:
    for parent in parent_list.tasks.prefetch_related("applies_to"):
        task = KeyTask.objects.create(
            task_list=task_list,
            code=parent.code,
            title=parent.title,
            description=parent.description,
            target_kind=parent.target_kind,
            target_value=parent.target_value,
            target_unit=parent.target_unit,
            target_date=parent.target_date,
            weight=parent.weight,
            checkpoints=list(parent.checkpoints),
            source=parent.source,
            derived_from=parent,
            sort_order=parent.sort_order,
        )
        task.applies_to.set(parent.applies_to.all())


def task_views(tasks: Iterable[KeyTask]) -> list[checks.TaskView]:
    return [
        checks.TaskView(
            id=t.pk,
            title=t.title,
            description=t.description,
            weight=t.weight,
            derived_from_id=t.derived_from_id,
        )
        for t in tasks
    ]


def findings_for(task_list: TaskList, tasks: Iterable[KeyTask] | None = None) -> list:
    """The checks on the list as it stands (or with ``tasks`` in place of its own)."""
    tasks = list(task_list.tasks.all()) if tasks is None else list(tasks)
    parents = None
    if task_list.parent_list_id:
        parents = task_views(KeyTask.objects.filter(task_list_id=task_list.parent_list_id))
    return checks.run_all(
        task_views(tasks),
        host_depth=task_list.host.depth,
        parents=parents,
        policy=policy_for(task_list.host),
    )


def _checkpoints(raw, year: int) -> list[str]:
    """Parse ``06-30, 10-31`` (or full dates) into month-day strings inside ``year``."""
    if isinstance(raw, str):
        parts = [p for p in re.split(r"[\s,，、;；]+", raw.strip()) if p]
    else:
        parts = [str(p) for p in raw or []]
    if not parts:
        raise ValidationError({"checkpoints": "请至少设置一个进度节点（如 06-30）。"})
    result = []
    for part in parts:
        match = re.fullmatch(r"(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})", part)
        if not match:
            raise ValidationError(
                {"checkpoints": f"进度节点“{part}”格式不正确，请写成“月-日”，如 06-30。"}
            )
        if match.group(1) and int(match.group(1)) != year:
            raise ValidationError(
                {"checkpoints": f"进度节点“{part}”不在{year}年内，不能晚于年度结束（12月31日）。"}
            )
        try:
            day = datetime.date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise ValidationError({"checkpoints": f"进度节点“{part}”不是有效日期。"}) from None
        result.append(f"{day:%m-%d}")
    return sorted(set(result))


def _decimal(value, field: str, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}必须是数字。"}) from None


def _validated(task_list: TaskList, task: KeyTask, values: dict) -> None:
    """Set ``values`` on ``task`` and raise every field error at once."""
    errors: dict[str, str] = {}
    year = task_list.year
    task.code = (values.get("code") or "").strip()
    task.title = (values.get("title") or "").strip()
    task.description = (values.get("description") or "").strip()
    task.target_kind = values.get("target_kind") or TargetKind.DONE
    task.target_unit = (values.get("target_unit") or "").strip()
    task.source = values.get("source") or TaskSource.MANUAL
    if not task.code:
        errors["code"] = "请填写编号。"
    elif task_list.tasks.filter(code=task.code).exclude(pk=task.pk).exists():
        errors["code"] = f"编号“{task.code}”已被本清单的其他任务使用。"
    if not task.title:
        errors["title"] = "请填写任务名称。"
    if task.target_kind not in TargetKind.values:
        errors["target_kind"] = "目标类型不正确。"
    if task.source not in TaskSource.values:
        errors["source"] = "进度来源不正确。"
    try:
        task.target_value = _decimal(values.get("target_value"), "target_value", "目标值")
        task.weight = _decimal(values.get("weight"), "weight", "权重") or Decimal("0")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        task.weight = task.weight if isinstance(task.weight, Decimal) else Decimal("0")
    task.target_date = values.get("target_date") or None
    if task.target_kind == TargetKind.NUMBER:
        if task.target_value is None and "target_value" not in errors:
            errors["target_value"] = "数值目标须填写目标值。"
        elif task.target_value is not None and task.target_value < 0:
            errors["target_value"] = "目标值不能为负数。"
        if not task.target_unit:
            errors["target_unit"] = "数值目标须填写计量单位（如“个”“%”“次”）。"
        task.target_date = None
    elif task.target_kind == TargetKind.DATE:
        if task.target_date is None:
            errors["target_date"] = "日期目标须填写完成时限。"
        elif task.target_date.year != year:
            errors["target_date"] = f"完成时限须在{year}年内，不能晚于年度结束。"
        task.target_value, task.target_unit = None, ""
    else:
        task.target_value, task.target_unit, task.target_date = None, "", None
    if task.source != TaskSource.MANUAL and task.target_kind != TargetKind.NUMBER:
        errors["source"] = "自动取数的任务须设置数值目标（整改完成率为 %，逾期问题为 个）。"
    if "weight" not in errors and not Decimal("0") < task.weight <= Decimal("100"):
        errors["weight"] = "权重须大于 0、不超过 100。"
    try:
        task.checkpoints = _checkpoints(values.get("checkpoints"), year)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    indicator = values.get("indicator")
    if indicator is not None and not (
        indicator.set.host_id == task_list.host_id and indicator.set.year == year
    ):
        errors["indicator"] = f"只能关联本级{year}年度考核指标体系中的指标。"
    task.indicator = indicator
    derived_from = values.get("derived_from")
    if derived_from is not None and derived_from.task_list_id != task_list.parent_list_id:
        errors["derived_from"] = "只能由上级清单中的任务派生。"
    task.derived_from = derived_from
    if errors:
        raise ValidationError(errors)


def save_task(
    *,
    actor,
    task_list: TaskList,
    task: KeyTask | None = None,
    applies_to: Iterable[UnitType],
    reason: str = "",
    **values,
) -> KeyTask:
    """Add or change one task. ``values``: ``code``, ``title``, ``description``,
    ``target_kind``, ``target_value``, ``target_unit``, ``target_date``, ``weight``,
    ``checkpoints`` (text such as ``06-30, 10-31`` or a list), ``source``, ``indicator``,
    ``derived_from``. On a published list ``reason`` is required: the change is a new version
    and the units are notified."""
    _require_change(actor, task_list)
    creating = task is None
    task = task or KeyTask(task_list=task_list, sort_order=task_list.tasks.count() + 1)
    if task.task_list_id != task_list.pk:
        raise ValidationError({"__all__": "任务不属于该清单。"})
    before = {} if creating else audit.snapshot(task, TASK_FIELDS)
    reason = (reason or "").strip()
    types = list(applies_to)
    errors: dict[str, str] = {}
    try:
        _validated(task_list, task, values)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if not types:
        errors["applies_to"] = "请选择任务适用的组织类型。"
    if task_list.is_published and not reason:
        errors["reason"] = "清单已发布，修改须填写理由（将作为新版本通知各单位）。"
    if not errors:
        others = [t for t in task_list.tasks.all() if t.pk != task.pk]
        blocking = checks.errors_of(findings_for(task_list, [*others, task]))
        if blocking:
            errors["__all__"] = "；".join(f.message for f in blocking) + f"依据：{blocking[0].rule}"
    if errors:
        if not creating:
            task.refresh_from_db()
        raise ValidationError(errors)
    with transaction.atomic():
        task.save()
        task.applies_to.set(types)
        audit.record(
            actor=actor,
            action="yearplan.task.create" if creating else "yearplan.task.change",
            obj=task,
            scope_path=task_list.host.path,
            changes=audit.diff(before, task) if before else {},
            note=reason,
        )
        if task_list.is_published:
            verb = "新增" if creating else "修改"
            _revise(actor, task_list, reason=reason, summary=f"{verb}任务“{task.title}”")
    return task


def delete_task(*, actor, task: KeyTask, reason: str = "") -> None:
    """Remove a task (refused when a lower list derives from it or progress refers to it)."""
    task_list = task.task_list
    _require_change(actor, task_list)
    reason = (reason or "").strip()
    if task_list.is_published and not reason:
        raise ValidationError({"reason": "清单已发布，删除任务须填写理由。"})
    if task.derived_tasks.exists():
        raise ValidationError({"__all__": "下级清单已由该任务派生，不能删除；请先与下级协调。"})
    if task.progress_reports.exists():
        raise ValidationError({"__all__": "该任务已有进度填报，不能删除。"})
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="yearplan.task.delete",
            obj=task,
            scope_path=task_list.host.path,
            note=reason,
        )
        title = task.title
        task.delete()
        if task_list.is_published:
            _revise(actor, task_list, reason=reason, summary=f"删除任务“{title}”")


def _revise(actor, task_list: TaskList, *, reason: str, summary: str) -> TaskListRevision:
    """A change to a published list: bump its version, keep the reason, tell the units."""
    task_list.version += 1
    task_list.save(update_fields=["version", "updated_at"])
    revision = TaskListRevision.objects.create(
        task_list=task_list,
        version=task_list.version,
        reason=reason,
        summary=summary[:300],
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="yearplan.list.revise",
        obj=task_list,
        scope_path=task_list.host.path,
        changes={"version": [task_list.version - 1, task_list.version]},
        note=reason,
    )
    _notify_units(
        task_list,
        title=f"{task_list.host.name}修订了“{task_list.title}”（第{task_list.version}版）",
        body=f"{summary}。理由：{reason}",
        key=f"keytasks:{task_list.pk}:v{task_list.version}",
    )
    return revision


def _notify_units(task_list: TaskList, *, title: str, body: str, key: str) -> None:
    url = reverse("yearplan_list_detail", args=[task_list.pk])
    user_ids = list(users_to_notify(task_list).values_list("pk", flat=True))
    notify_many(
        Message(user_id=uid, kind=NOTICE_KIND, title=title, body=body, url=url, key=key)
        for uid in user_ids
    )


def publish_list(*, actor, task_list: TaskList) -> TaskList:
    """Publish a draft list (晒清单): refused while it has no task or a check finds an error;
    the units it applies to are notified."""

    def validate(obj: TaskList, move) -> dict[str, str] | None:
        tasks = list(obj.tasks.all())
        if not tasks:
            return {"__all__": "清单还没有任务，不能发布。"}
        blocking = checks.errors_of(findings_for(obj, tasks))
        if blocking:
            return {"__all__": "；".join(f.message for f in blocking) + f"依据：{blocking[0].rule}"}
        return None

    def prepare(obj: TaskList, move) -> None:
        obj.published_at = clock.now()

    task_list = apply(
        TASK_LIST,
        actor=actor,
        obj=task_list,
        to=ListStatus.PUBLISHED,
        validate=validate,
        prepare=prepare,
        update_fields=["published_at"],
    )
    with transaction.atomic():
        _notify_units(
            task_list,
            title=f"{task_list.host.name}发布了“{task_list.title}”",
            body="请查看本单位适用的重点任务、目标和进度节点。",
            key=f"keytasks:{task_list.pk}:v{task_list.version}",
        )
    return task_list


def indicator_choices(task_list: TaskList):
    """The indicators a task of ``task_list`` may link to: the host's own sets of the year."""
    return IndicatorItem.objects.filter(
        set__host_id=task_list.host_id, set__year=task_list.year
    ).select_related("set")
