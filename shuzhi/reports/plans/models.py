"""整改方案: the reporting unit's answer to the problems named in the round, approved or
returned by the superior. Status moves only through ``plans.services`` along
``transitions.PLAN``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.reports.reports.models import DraftStaysWithWritersQuerySet


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已报送")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已批准")


class PlanQuerySet(DraftStaysWithWritersQuerySet):
    """A plan is read like its unit's report: through the reporting unit or the round's
    host — and, like a report, a draft plan stays with the unit's writers until it is
    submitted (the host's viewers read nothing of it before)."""


class RectificationPlan(TimeStampedModel):
    """整改方案: the reporter's unit's plan for the problems named in the round.

    ``items``: ``[{"problem": id, "measures": str, "deadline": "YYYY-MM-DD",
    "responsible_leader_name": str, "responsible_person_name": str,
    "responsible_department": str}]`` — applied to the problems when the plan is approved.
    """

    reporter = models.OneToOneField(
        "cycles.RoundReporter",
        verbose_name=_("述职对象"),
        on_delete=models.CASCADE,
        related_name="plan",
    )
    summary = models.TextField(_("总体思路"), blank=True, max_length=5000)
    items = models.JSONField(_("整改事项"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    return_comment = models.TextField(_("退回意见"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改方案")
        verbose_name_plural = _("整改方案")
        ordering = ["reporter_id"]

    def __str__(self) -> str:
        return f"整改方案 · {self.reporter}"
