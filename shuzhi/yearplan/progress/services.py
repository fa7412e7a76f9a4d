"""Every write about progress: a unit's report, the host's request for it, the notice ladder.

Bad input raises ``ValidationError`` with Chinese messages and changes nothing; each write is
one transaction with its audit entry; messages go through the inbox (and e-mail) after commit.
Values Shuzhi already holds are never asked for: a task whose progress is read from the ledger
refuses a report (最多报一次).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from shuzhi.core import audit, clock, files
from shuzhi.core.notify import Message, notify_many
from shuzhi.orgs.tree.models import Unit
from shuzhi.yearplan.keytasks import services as task_services
from shuzhi.yearplan.keytasks.models import KeyTask, TargetKind, TaskList, TaskSource
from shuzhi.yearplan.keytasks.policies import CHANGE, can_list, users_to_notify

from .models import CellState, ProgressNotice, ProgressReport, ProgressRequest
from .policies import can_report, unit_accounts
from .rules import judge
from .selectors import applicable_tasks, checkpoints_of, matrix

NOTE_MAX = 200
REPORTED_STATES = {CellState.ON_TRACK, CellState.BEHIND, CellState.DONE}


def report_progress(
    *,
    actor,
    task: KeyTask,
    unit: Unit,
    checkpoint: datetime.date,
    value=None,
    state: str = "",
    note: str = "",
    evidence=None,
) -> ProgressReport:
    """Record ``unit``'s progress on ``task`` at ``checkpoint`` — once: a second report at the
    same checkpoint corrects the first. Numeric targets take a value, the others a state;
    evidence is optional (never required, 不以拍照留痕评判工作)."""
    if not can_report(actor, unit):
        raise PermissionDenied("您没有权限填报该单位的进度。")
    task_list = task.task_list
    errors: dict[str, str] = {}
    if task.pk not in {t.pk for t in applicable_tasks(unit, task_list.year)}:
        errors["__all__"] = f"任务“{task.title}”不适用于{unit.name}。"
    elif task.source != TaskSource.MANUAL:
        errors["__all__"] = "该任务的进度由系统根据已有数据自动取得，无需填报（最多报一次）。"
    if checkpoint not in task.checkpoint_dates(task_list.year):
        errors["checkpoint"] = "该日期不是本任务的进度节点。"
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = f"简要说明不超过 {NOTE_MAX} 字（现有 {len(note)} 字）。"
    number: Decimal | None = None
    if task.target_kind == TargetKind.NUMBER:
        try:
            number = Decimal(str(value).strip()) if value not in (None, "") else None
        except (InvalidOperation, ValueError):
            errors["value"] = "完成值必须是数字。"
        else:
            if number is None:
                errors["value"] = f"请填写完成值（{task.target_unit}）。"
            elif number < 0:
                errors["value"] = "完成值不能为负数。"
    elif state not in REPORTED_STATES:
        errors["state"] = "请选择进度：按计划推进、滞后或已完成。"
    evidence_name = ""
    if evidence:
        try:
            evidence_name, _kind = files.check_upload(evidence, kinds={files.DOCUMENT, files.IMAGE})
        except ValidationError as exc:
            errors["evidence"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    judged = judge(
        target_kind=task.target_kind,
        source=task.source,
        target_value=task.target_value,
        target_date=task.target_date,
        checkpoint=checkpoint,
        value=number,
        reported=state or None,
    )
    with transaction.atomic():
        report = ProgressReport.objects.filter(task=task, unit=unit, checkpoint=checkpoint).first()
        creating = report is None
        report = report or ProgressReport(task=task, unit=unit, checkpoint=checkpoint)
        before = {} if creating else audit.snapshot(report, ["value", "state", "note"])
        report.value, report.state, report.note = number, judged, note
        report.reported_by = actor if getattr(actor, "is_authenticated", False) else None
        if evidence:
            report.evidence_name = evidence_name
            report.evidence.save(evidence_name, evidence, save=False)
        report.save()
        audit.record(
            actor=actor,
            action="yearplan.progress.report" if creating else "yearplan.progress.correct",
            obj=report,
            scope_path=unit.path,
            changes=audit.diff(before, report) if before else {"state": [None, judged]},
        )
    return report


def requests_this_year(task_list: TaskList) -> int:
    return task_list.progress_requests.count()


def request_progress(
    *, actor, task_list: TaskList, checkpoint: datetime.date, note: str = ""
) -> ProgressRequest:
    """Ask the units of a published list for their progress at ``checkpoint``. How often a
    host may ask is capped by its policy (督查检查考核过多过频)."""
    if not can_list(actor, CHANGE, task_list):
        raise PermissionDenied("您没有权限调度该清单的进度。")
    cap = int(task_services.policy_for(task_list.host)["max_progress_requests"])
    errors: dict[str, str] = {}
    if not task_list.is_published:
        errors["__all__"] = "清单尚未发布，不能调度进度。"
    elif requests_this_year(task_list) >= cap:
        errors["__all__"] = (
            f"本年度已调度进度 {cap} 次，达到上限（减少督查检查考核频次）；请使用已填报的进度。"
        )
    if checkpoint not in checkpoints_of(list(task_list.tasks.all()), task_list.year):
        errors["checkpoint"] = "该日期不是本清单的进度节点。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = ProgressRequest.objects.create(
            task_list=task_list,
            checkpoint=checkpoint,
            note=(note or "").strip()[:200],
            sent_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor=actor,
            action="yearplan.progress.request",
            obj=task_list,
            scope_path=task_list.host.path,
            note=f"{checkpoint:%m-%d} {request.note}".strip(),
        )
        url = reverse("yearplan_my_progress")
        notify_many(
            Message(
                user_id=uid,
                kind="keytasks",
                title=f"请填报“{task_list.title}”{checkpoint:%m月%d日}进度",
                body=request.note or "每项任务填报一次；系统已有的数据自动带出，无需重复填报。",
                url=url,
                key=f"keytasks-request:{request.pk}",
            )
            for uid in users_to_notify(task_list).values_list("pk", flat=True)
        )
    return request


def ladder(task_list: TaskList) -> list[dict]:
    """The host's notice ladder (policy data), lowest first."""
    return list(task_services.policy_for(task_list.host)["notice_ladder"])


def send_notices(
    *,
    actor,
    task_list: TaskList,
    units: Iterable[Unit],
    level: str,
    checkpoint: datetime.date,
    task: KeyTask | None = None,
    note: str = "",
) -> list[ProgressNotice]:
    """Send one slip of the ladder to each of ``units`` about the list (or one task). A slip
    meant for units behind schedule is refused for a unit that is not behind there."""
    if not can_list(actor, CHANGE, task_list):
        raise PermissionDenied("您没有权限向这些单位发送督办单。")
    steps = {s["code"]: s for s in ladder(task_list)}
    step = steps.get(level)
    units = list(units)
    errors: dict[str, str] = {}
    if step is None:
        errors["level"] = "请选择督办单类型。"
    if not units:
        errors["units"] = "请至少选择一个单位。"
    if task is not None and task.task_list_id != task_list.pk:
        errors["task"] = "任务不属于该清单。"
    if errors:
        raise ValidationError(errors)
    assert step is not None
    page = matrix(task_list, actor, checkpoint=checkpoint, limit=100000)
    cells = {row.unit.pk: row for row in page.rows}
    column = page.tasks.index(task) if task is not None else None
    for unit in units:
        row = cells.get(unit.pk)
        if row is None:
            errors["units"] = f"{unit.name}不在本清单的范围内。"
            break
        if step.get("applies") == "behind":
            states = (
                [row.cells[column].state]
                if column is not None
                else [c.state for c in row.cells if c.applies]
            )
            if CellState.BEHIND not in states:
                errors["units"] = f"{step['name']}只发给进度滞后的单位，{unit.name}当前不滞后。"
                break
    if errors:
        raise ValidationError(errors)
    today = clock.today()
    fix_days = int(step.get("fix_days") or 0)
    fix_by = today + datetime.timedelta(days=fix_days) if fix_days else None
    about = f"“{task.title}”" if task is not None else f"“{task_list.title}”"
    body = (note or "").strip() or (
        f"{task_list.host.name}：贵单位{about}在{checkpoint:%m月%d日}节点的推进情况需要关注。"
        + (f"请于{fix_by:%Y年%m月%d日}前整改到位。" if fix_by else "")
    )
    with transaction.atomic():
        created = [
            ProgressNotice.objects.create(
                task_list=task_list,
                task=task,
                unit=unit,
                level=level,
                level_name=step["name"],
                checkpoint=checkpoint,
                body=body[:1000],
                fix_by=fix_by,
                sent_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            for unit in units
        ]
        audit.record_many(
            actor=actor,
            entries=(
                {
                    "action": "yearplan.notice.send",
                    "obj": n,
                    "scope_path": n.unit.path,
                    "note": f"{n.level_name}：{about}",
                }
                for n in created
            ),
        )
        url = reverse("yearplan_my_progress")
        messages = []
        for n in created:
            for uid in unit_accounts([n.unit_id]).values_list("pk", flat=True):
                messages.append(
                    Message(
                        user_id=uid,
                        kind="keytasks",
                        title=f"{step['name']}：{about}",
                        body=n.body,
                        url=url,
                        key=f"keytasks-notice:{n.pk}",
                    )
                )
        notify_many(messages)
    return created
