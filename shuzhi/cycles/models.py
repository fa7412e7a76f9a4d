"""The annual round: a host unit hears the secretaries of units below it, under set policies."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet

from . import policy


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class RoundQuerySet(ScopedQuerySet):
    """A round belongs to its host unit."""

    scope_routes = (("host__path", "host__depth"),)
    view_action = "round.view"


class RoundReporterQuerySet(ScopedQuerySet):
    """A reporter line belongs to its round, judged at the round's host."""

    scope_routes = (("round__host__path", "round__host__depth"),)
    view_action = "round.view"


class Round(TimeStampedModel):
    """年度述职评议考核 of one host unit for one year, with its policies as data.

    ``scale``: ``[{"code", "label", "points"}]``; ``categories``: ``[{"code", "label",
    "weight"}]`` (weights as decimal strings summing to 1); ``sub_items``: ``[{"code",
    "label"}]``; ``quotas``: ``{scale_code: max per voter}`` (empty = no quota).
    ``report_topics``: ``[{"code", "title", "hint"}]`` must-answer topics (必答题);
    ``report_checks``: thresholds of the report quality checks (see ``policy``).
    ``close_turnout``: the share of those present below which closing a formal ballot asks
    for a reason (empty: the site's default, ``SHUZHI_BALLOT_CLOSE_TURNOUT``, 2/3).
    ``schedule_override_reason`` records why a round was scheduled before the parent's session
    that hears this host (the top-down rule).
    """

    host = models.ForeignKey(
        "orgs.Unit", verbose_name=_("主办组织"), on_delete=models.PROTECT, related_name="rounds"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    scale = models.JSONField(_("评价等次"), default=policy.default_scale)
    categories = models.JSONField(_("参评人员类别"), default=policy.default_categories)
    sub_items = models.JSONField(_("分项评价"), default=policy.default_sub_items, blank=True)
    quorum_ratio = models.DecimalField(
        _("到会比例下限"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        help_text=_("实到人数必须超过应到人数的这一比例，才能开始投票。"),
    )
    close_turnout = models.DecimalField(
        _("结束投票的投票率下限"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_(
            "正式投票的票数低于实到人数的这一比例时，结束投票须说明理由并记入操作记录；"
            "留空按系统默认（三分之二），0 即不作要求。"
        ),
    )
    min_ballots = models.PositiveSmallIntegerField(
        _("结果显示最少票数"),
        default=5,
        help_text=_(
            "某人收到的有效票、或某类别投出的选票少于此数时不显示其结果（不低于系统下限）。"
        ),
    )
    quotas = models.JSONField(_("每人名额限制"), default=dict, blank=True)
    live_rotation_years = models.PositiveSmallIntegerField(
        _("现场述职轮换年限"),
        default=3,
        help_text=_("每个单位至少每隔这么多年现场述职一次。"),
    )
    schedule_override_reason = models.TextField(_("提前安排的理由"), blank=True)
    report_topics = models.JSONField(
        _("必答题"),
        default=policy.default_report_topics,
        blank=True,
        help_text=_("每项：代码、题目、提示；述职报告必须逐项作答。"),
    )
    report_checks = models.JSONField(
        _("报告质量检查阈值"), default=policy.default_report_checks, blank=True
    )
    report_due = models.DateField(_("报告提交截止日期"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度述职评议")
        verbose_name_plural = _("年度述职评议")
        ordering = ["-year", "host_id"]
        constraints = [
            models.UniqueConstraint(fields=["host", "year"], name="cycles_round_host_year")
        ]

    def __str__(self) -> str:
        return self.title


class RoundReporter(models.Model):
    """A unit reporting in a round, and the person who reports for it (the secretary on the
    meeting date, resolved from posts and editable)."""

    round = models.ForeignKey(
        Round, verbose_name=_("年度述职评议"), on_delete=models.CASCADE, related_name="reporters"
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("述职单位"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "orgs.Person",
        verbose_name=_("述职人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sort_order = models.IntegerField(_("排序"), default=0)

    objects = RoundReporterQuerySet.as_manager()

    class Meta:
        verbose_name = _("述职对象")
        verbose_name_plural = _("述职对象")
        ordering = ["round_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="cycles_reporter_round_unit")
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.person or '—'}"
