"""Key tasks (重点任务): a host's list for one year, its items, revisions and plan settings.

A ``TaskList`` is what one host unit asks of the units below it in one year. A lower host
derives its own list from its parent's (``parent_list``); each derived task points at the
parent task it comes from (``derived_from``) — the same shape as derived indicator sets, so the
层层加码 check of ``assessment.indicators.governance`` compares them. Once published a list is
read-only to the units it applies to (晒清单); a change after publication bumps ``version`` and
leaves a ``TaskListRevision`` with the reason, and the units are told through the inbox.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet

DEFAULT_CHECKPOINTS = ["06-30", "10-31"]


def default_checkpoints() -> list[str]:
    """Checkpoints as month-day strings; 6/30 and 10/31 by default (policy as data)."""
    return list(DEFAULT_CHECKPOINTS)


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class TargetKind(models.TextChoices):
    NUMBER = "number", _("数值")
    DATE = "date", _("完成日期")
    DONE = "done", _("完成/未完成")


class TaskSource(models.TextChoices):
    """Where a task's progress comes from. Automatic sources are read from data Shuzhi already
    holds, so a unit never reports them (最多报一次)."""

    MANUAL = "manual", _("单位填报")
    RECT_RATE = "rect_rate", _("整改完成率（自动，%）")
    RECT_OVERDUE = "rect_overdue", _("逾期整改问题数（自动，不超过目标）")


class PlanSettings(TimeStampedModel):
    """A host's plan policy (policy as data): the 责任状 switch (off by default, 2024 rules),
    claiming of responsibility items (off by default), the notice ladder, the cap on progress
    requests and the 层层加码 limits. Missing keys fall back to ``keytasks.checks.DEFAULTS``."""

    host = models.OneToOneField(
        "orgs.Unit", verbose_name=_("主办组织"), on_delete=models.CASCADE, related_name="+"
    )
    pledge_letters = models.BooleanField(
        _("签订责任状"),
        default=False,
        help_text=_("2024年减负规定：除专门文件外不得要求签订责任状，默认关闭。"),
    )
    claiming = models.BooleanField(
        _("责任清单逐项认领"), default=False, help_text=_("默认关闭；开启后责任人逐项认领。")
    )
    data = models.JSONField(_("其他规则"), default=dict, blank=True)

    class Meta:
        verbose_name = _("年度计划规则")
        verbose_name_plural = _("年度计划规则")

    def __str__(self) -> str:
        return f"{self.host} 年度计划规则"


class TaskListQuerySet(ScopedQuerySet):
    """A list belongs to its host; its readers are the host's (``round.view``). Published lists
    are also read by the units below the host (see ``policies.list_visible_q``)."""

    scope_routes = (("host__path", "host__depth"),)
    view_action = "round.view"


class TaskList(TimeStampedModel):
    """重点任务清单 of one host for one year (derived from ``parent_list`` when set)."""

    host = models.ForeignKey(
        "orgs.Unit", verbose_name=_("主办组织"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    parent_list = models.ForeignKey(
        "self",
        verbose_name=_("派生自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived_lists",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ListStatus.choices, default=ListStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    objects = TaskListQuerySet.as_manager()

    class Meta:
        verbose_name = _("重点任务清单")
        verbose_name_plural = _("重点任务清单")
        ordering = ["-year", "host__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["host", "year"], name="yearplan_list_host_year")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ListStatus.PUBLISHED


class KeyTask(models.Model):
    """One key task with a measurable target, a weight and its checkpoints (as data)."""

    task_list = models.ForeignKey(
        TaskList, verbose_name=_("清单"), on_delete=models.CASCADE, related_name="tasks"
    )
    code = models.CharField(_("编号"), max_length=32)
    title = models.CharField(_("任务名称"), max_length=200)
    description = models.TextField(_("任务内容"), blank=True, max_length=2000)
    applies_to = models.ManyToManyField(
        "orgs.UnitType", verbose_name=_("适用组织类型"), related_name="+"
    )
    target_kind = models.CharField(
        _("目标类型"), max_length=16, choices=TargetKind.choices, default=TargetKind.DONE
    )
    target_value = models.DecimalField(
        _("目标值"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target_unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    target_date = models.DateField(_("完成时限"), null=True, blank=True)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=2, default=10)
    checkpoints = models.JSONField(_("进度节点"), default=default_checkpoints)
    source = models.CharField(
        _("进度来源"), max_length=16, choices=TaskSource.choices, default=TaskSource.MANUAL
    )
    indicator = models.ForeignKey(
        "assessment.IndicatorItem",
        verbose_name=_("关联考核指标"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    derived_from = models.ForeignKey(
        "self",
        verbose_name=_("派生自上级任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived_tasks",
    )
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("重点任务")
        verbose_name_plural = _("重点任务")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task_list", "code"], name="yearplan_task_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def checkpoint_dates(self, year: int) -> list[datetime.date]:
        """The checkpoints as dates of ``year``, in order."""
        return sorted(datetime.date(year, int(c[:2]), int(c[3:5])) for c in self.checkpoints)

    @property
    def target_text(self) -> str:
        """The target as people read it: ``100 %``, ``2026-06-30 前完成``, ``完成``."""
        if self.target_kind == TargetKind.NUMBER and self.target_value is not None:
            value = self.target_value.normalize()
            return f"{value:f} {self.target_unit}".strip()
        if self.target_kind == TargetKind.DATE and self.target_date:
            return f"{self.target_date:%Y-%m-%d} 前完成"
        return "完成"


class TaskListRevision(models.Model):
    """A change to a published list: the new version, the reason and what it changed."""

    task_list = models.ForeignKey(
        TaskList, verbose_name=_("清单"), on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField(_("版本"))
    reason = models.TextField(_("修改理由"), max_length=1000)
    summary = models.CharField(_("修改内容"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("清单修订")
        verbose_name_plural = _("清单修订")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.task_list} 第{self.version}版"
