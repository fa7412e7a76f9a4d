"""Responsibility lists (责任清单): who in a unit answers for what this year.

One ``DutyList`` per unit and year, made of ``DutyItem`` rows: the secretary's items as first
responsible person (第一责任人), each leadership-team member's by portfolio (一岗双责), and the
department responsible, each with its 任务 and 完成时限. Items come pre-filled from the key
tasks that apply to the unit (``key_task``); the unit adds its own. Claiming item by item
(认领) is a per-host option, off by default. The list is filed (备案) with the superior's
organisation department, which approves it or returns it with comments (``transitions``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet


class DutyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FILED = "filed", _("已报备案")
    APPROVED = "approved", _("已备案")
    RETURNED = "returned", _("已退回")


class DutyRole(models.TextChoices):
    SECRETARY = "secretary", _("第一责任人（书记）")
    MEMBER = "member", _("班子成员（一岗双责）")
    DEPARTMENT = "department", _("责任部门")


class DutyListQuerySet(ScopedQuerySet):
    """A list belongs to its unit; whoever sees the unit sees its list."""

    scope_routes = (("unit__path", "unit__depth"),)
    view_action = "unit.view"


class DutyList(TimeStampedModel):
    """责任清单 of one unit for one year."""

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=16, choices=DutyStatus.choices, default=DutyStatus.DRAFT
    )
    filed_at = models.DateTimeField(_("报备时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True, max_length=1000)

    objects = DutyListQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任清单")
        verbose_name_plural = _("责任清单")
        ordering = ["-year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="yearplan_duty_unit_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}年度责任清单"

    @property
    def editable(self) -> bool:
        return self.status in (DutyStatus.DRAFT, DutyStatus.RETURNED)


class DutyItem(models.Model):
    """One item of a responsibility list: who, on what portfolio, which task, by when."""

    duty_list = models.ForeignKey(
        DutyList, verbose_name=_("责任清单"), on_delete=models.CASCADE, related_name="items"
    )
    role = models.CharField(_("责任类型"), max_length=16, choices=DutyRole.choices)
    person_name = models.CharField(_("责任人"), max_length=50, blank=True)
    portfolio = models.CharField(_("分管领域"), max_length=100, blank=True)
    department = models.CharField(_("责任部门"), max_length=100, blank=True)
    task = models.TextField(_("任务"), max_length=500)
    deadline = models.DateField(_("完成时限"))
    key_task = models.ForeignKey(
        "yearplan.KeyTask",
        verbose_name=_("对应重点任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duty_items",
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("责任清单事项")
        verbose_name_plural = _("责任清单事项")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.task[:40]
