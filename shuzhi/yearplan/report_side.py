"""The year's plan's answers to the reports app (``reports.reports.extensions``): the opening
text of a report's 履职情况 — the key tasks the unit answered for, each with its target and
its latest progress — so the author edits words, not numbers (DOMAIN.md §2, 最多报一次)."""

from __future__ import annotations

from shuzhi.core import clock
from shuzhi.orgs.tree.models import Unit
from shuzhi.reports.reports import extensions
from shuzhi.yearplan.keytasks.models import TaskSource

from .progress.models import CellState, ProgressReport
from .progress.rules import judge
from .progress.selectors import LABELS, applicable_tasks, automatic_value, ledger_facts

NUMERALS = "一二三四五六七八九十"


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if n <= len(NUMERALS) else str(n)


def performance_draft(unit: Unit, year: int) -> str:
    """One paragraph per key task: target, latest checkpoint, state and figure, the unit's own
    note; "" when no published task applied to the unit."""
    tasks = applicable_tasks(unit, year)
    if not tasks:
        return ""
    latest: dict[int, ProgressReport] = {}
    for report in ProgressReport.objects.filter(unit=unit, task__in=tasks).order_by("checkpoint"):
        latest[report.task_id] = report
    facts = ledger_facts([unit.pk], year).get(unit.pk)
    today = clock.today()
    lines = [f"一、{year}年度重点任务完成情况"]
    for position, task in enumerate(tasks, start=1):
        head = f"（{_numeral(position)}）{task.title}（目标：{task.target_text}）"
        if task.source != TaskSource.MANUAL:
            value = automatic_value(task, facts)
            dates = [d for d in task.checkpoint_dates(year) if d <= today] or task.checkpoint_dates(
                year
            )
            state = judge(
                target_kind=task.target_kind,
                source=task.source,
                target_value=task.target_value,
                target_date=task.target_date,
                checkpoint=dates[-1],
                value=value,
                reported=None,
            )
            figure = f"{value.normalize():f}{task.target_unit}" if value is not None else "—"
            lines.append(f"{head}：系统数据{figure}，{LABELS[state]}。")
            continue
        report = latest.get(task.pk)
        if report is None:
            lines.append(f"{head}：尚未填报进度。")
            continue
        figure = (
            f"，完成{report.value.normalize():f}{task.target_unit}"
            if report.value is not None
            else ""
        )
        note = f"{report.note}" if report.note else ""
        lines.append(
            f"{head}：截至{report.checkpoint:%m月%d日}{LABELS[report.state]}{figure}。{note}"
        )
    behind = [t.title for t in tasks if t.pk in latest and latest[t.pk].state == CellState.BEHIND]
    if behind:
        lines.append(f"（滞后任务：{'、'.join(behind)}，请在“存在问题”中说明原因和措施。）")
    return "\n".join(lines)


def register() -> None:
    """Install the answers (from ``YearplanConfig.ready``)."""
    extensions.register(extensions.PlanSide(performance_draft=performance_draft))
