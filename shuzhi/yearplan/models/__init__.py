"""Every model of the year's plan, named so Django registers them (ADR 0015)."""

from shuzhi.yearplan.duties.models import DutyItem, DutyList
from shuzhi.yearplan.keytasks.models import (
    KeyTask,
    PlanSettings,
    TaskList,
    TaskListRevision,
)
from shuzhi.yearplan.progress.models import ProgressNotice, ProgressReport, ProgressRequest

__all__ = [
    "DutyItem",
    "DutyList",
    "KeyTask",
    "PlanSettings",
    "ProgressNotice",
    "ProgressReport",
    "ProgressRequest",
    "TaskList",
    "TaskListRevision",
]
