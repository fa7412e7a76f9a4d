"""Progress at the checkpoints (晒进度), requests for it and the notice ladder.

``ProgressReport`` is one unit's progress on one task at one checkpoint — reported once (a
correction overwrites it, it never asks twice). Tasks whose progress Shuzhi already holds
(rectification rate, overdue items) have no report: the matrix reads the ledger instead.
``ProgressRequest`` records each time a host asked its units for progress (capped per year by
policy, 督查检查考核过多过频). ``ProgressNotice`` is one slip of the notice ladder (提示单 →
催办单 → 通报单 → 约谈单 → 预警单, policy data) sent to a unit and shown on its cell.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.kernel.querysets import ScopedQuerySet


class CellState(models.TextChoices):
    NOT_STARTED = "not_started", _("未填报")
    ON_TRACK = "on_track", _("按计划推进")
    BEHIND = "behind", _("滞后")
    DONE = "done", _("已完成")


class ProgressQuerySet(ScopedQuerySet):
    """A report belongs to the reporting unit."""

    scope_routes = (("unit__path", "unit__depth"),)
    view_action = "unit.view"


class ProgressReport(models.Model):
    """One unit's progress on one key task at one checkpoint: a value (numeric targets) or a
    state (date and done targets), one short note, evidence optional."""

    task = models.ForeignKey(
        "yearplan.KeyTask",
        verbose_name=_("重点任务"),
        on_delete=models.PROTECT,
        related_name="progress_reports",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    checkpoint = models.DateField(_("进度节点"))
    value = models.DecimalField(_("完成值"), max_digits=12, decimal_places=2, null=True)
    state = models.CharField(_("进度"), max_length=16, choices=CellState.choices)
    note = models.CharField(_("简要说明"), max_length=200, blank=True)
    evidence = models.FileField(_("佐证材料（可选）"), upload_to="yearplan/%Y/", blank=True)
    evidence_name = models.CharField(_("佐证文件名"), max_length=255, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("填报时间"), auto_now=True)

    objects = ProgressQuerySet.as_manager()

    class Meta:
        verbose_name = _("进度填报")
        verbose_name_plural = _("进度填报")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit", "checkpoint"], name="yearplan_progress_once"
            )
        ]
        indexes = [models.Index(fields=["checkpoint", "task"], name="yearplan_progress_cp")]

    def __str__(self) -> str:
        return f"{self.unit} {self.task} {self.checkpoint}"


class ProgressRequest(models.Model):
    """A host asked the units of one list for progress at one checkpoint."""

    task_list = models.ForeignKey(
        "yearplan.TaskList",
        verbose_name=_("清单"),
        on_delete=models.CASCADE,
        related_name="progress_requests",
    )
    checkpoint = models.DateField(_("进度节点"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("进度调度")
        verbose_name_plural = _("进度调度")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_list} {self.checkpoint}"


class ProgressNotice(models.Model):
    """One slip of the notice ladder sent to a unit about a list (and a task)."""

    task_list = models.ForeignKey(
        "yearplan.TaskList",
        verbose_name=_("清单"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    task = models.ForeignKey(
        "yearplan.KeyTask",
        verbose_name=_("重点任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("等级"), max_length=16)
    level_name = models.CharField(_("单据"), max_length=20)
    checkpoint = models.DateField(_("进度节点"))
    body = models.TextField(_("内容"), max_length=1000)
    fix_by = models.DateField(_("整改期限"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发送人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task_list", "unit"], name="yearplan_notice_cell")]

    def __str__(self) -> str:
        return f"{self.level_name} {self.unit}"
