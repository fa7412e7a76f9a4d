"""The review meeting: its reporters in order, the voter roster by category, and sign-in."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    CLOSED = "closed", _("已结束")
    PUBLISHED = "published", _("已公布")


class LiveDrawMethod(models.TextChoices):
    MANUAL = "manual", _("人工指定")
    RANDOM = "random", _("随机抽取")
    ROTATION = "rotation", _("轮换")


class SessionQuerySet(ScopedQuerySet):
    """A session belongs to its round's host unit."""

    scope_routes = (("round__host__path", "round__host__depth"),)
    view_action = "round.view"


class Session(TimeStampedModel):
    """述职评议会: one sitting of a round. ``live_draw_seed`` makes a random draw replayable."""

    round = models.ForeignKey(
        "cycles.Round",
        verbose_name=_("年度述职评议"),
        on_delete=models.CASCADE,
        related_name="sessions",
    )
    title = models.CharField(_("会议名称"), max_length=200)
    date = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    live_draw_method = models.CharField(
        _("现场述职确定方式"),
        max_length=16,
        choices=LiveDrawMethod.choices,
        default=LiveDrawMethod.MANUAL,
    )
    live_draw_seed = models.CharField(_("抽取种子"), max_length=64, blank=True)
    live_count = models.PositiveSmallIntegerField(_("现场述职人数"), default=0)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("述职评议会")
        verbose_name_plural = _("述职评议会")
        ordering = ["-date", "id"]

    def __str__(self) -> str:
        return self.title


class ReportMode(models.TextChoices):
    LIVE = "live", _("现场述职")
    WRITTEN = "written", _("书面述职")


class SessionReporter(models.Model):
    """A reporter on the session's agenda, in speaking order, live or in writing."""

    session = models.ForeignKey(
        Session, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="reporters"
    )
    reporter = models.ForeignKey(
        "cycles.RoundReporter",
        verbose_name=_("述职对象"),
        on_delete=models.PROTECT,
        related_name="session_entries",
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    mode = models.CharField(
        _("述职方式"), max_length=16, choices=ReportMode.choices, default=ReportMode.WRITTEN
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会议述职人")
        verbose_name_plural = _("会议述职人")
        ordering = ["session_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "reporter"], name="meetings_sessionreporter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.reporter}"


class RosterCategory(models.Model):
    """A category of voters at a session: its weight, how many are expected (应到) and present
    (实到, by count or from named sign-in)."""

    session = models.ForeignKey(
        Session, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="categories"
    )
    code = models.CharField(_("类别代码"), max_length=32)
    label = models.CharField(_("类别名称"), max_length=50)
    weight = models.DecimalField(_("权重"), max_digits=5, decimal_places=4, default=Decimal("0"))
    expected = models.PositiveIntegerField(_("应到人数"), default=0)
    present = models.PositiveIntegerField(_("实到人数"), default=0)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("参评人员类别")
        verbose_name_plural = _("参评人员类别")
        ordering = ["session_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="meetings_category_unique")
        ]

    def __str__(self) -> str:
        return self.label


class RosterMember(models.Model):
    """A named voter on the roster (optional). Signing in counts them present; it is never
    linked to a code or a ballot."""

    category = models.ForeignKey(
        RosterCategory, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("姓名"), max_length=50)
    signed_in = models.BooleanField(_("已签到"), default=False)

    class Meta:
        verbose_name = _("参评人员")
        verbose_name_plural = _("参评人员")
        ordering = ["category_id", "id"]

    def __str__(self) -> str:
        return self.name
