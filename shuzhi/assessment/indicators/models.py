"""Assessment models: indicator sets, their governance findings, and the annual scores.

An ``IndicatorSet`` is what one host unit assesses one type of unit on in one year. A lower
host may derive its set from a higher host's set (``parent_set``); each derived item points at
the parent item it comes from (``derived_from``), which is what the 层层加码 check compares.
Every save of a set re-runs the governance checks (``governance.py``) and replaces its
``GovernanceFinding`` rows, so the printed report always matches the set as it stands.

Scores: one ``AnnualScore`` per (set, assessed unit) holds the per-item ``ItemScore`` rows
(the unit's self score and the host's score) and the ``Adjustment`` rows (加减分), each of
which counts only once someone other than the requester approved it. Items with a ``source``
are never entered by hand: their points are computed from data already in Shuzhi
(``sources.py``) — 最多报一次.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet

POINTS_DIGITS = 6
POINTS_PLACES = 2


class SetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class ItemKind(models.TextChoices):
    OUTCOME = "outcome", _("结果性")
    PROCESS = "process", _("过程性")


class ItemSource(models.TextChoices):
    """Where an item's points come from. ``manual`` items are scored by people; the others are
    computed from data Shuzhi already holds, so nobody reports them twice."""

    MANUAL = "manual", _("人工评分")
    RECT_RATE = "rect_rate", _("整改完成率（自动）")
    RECT_OVERDUE = "rect_overdue", _("逾期整改问题（自动扣分）")
    REPORT_ON_TIME = "report_on_time", _("按时提交述职报告（自动）")


class IndicatorSetQuerySet(ScopedQuerySet):
    """A set belongs to its host unit."""

    scope_routes = (("host__path", "host__depth"),)
    view_action = "round.view"


class IndicatorSet(TimeStampedModel):
    """考核指标体系 of one host unit, for one year and one type of assessed unit.

    ``limits`` keeps the governance policy that was applied at the last check (defaults merged
    with the nearest ``GovernancePolicy``), so a printed report states the limits it used.
    A published set is locked: scores refer to its items.
    """

    host = models.ForeignKey(
        "orgs.Unit", verbose_name=_("主办组织"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    assessed_type = models.ForeignKey(
        "orgs.UnitType", verbose_name=_("考核对象类型"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("名称"), max_length=200)
    parent_set = models.ForeignKey(
        "self",
        verbose_name=_("派生自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived_sets",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=SetStatus.choices, default=SetStatus.DRAFT
    )
    limits = models.JSONField(_("适用的减负规则"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("最近检查时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    objects = IndicatorSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核指标体系")
        verbose_name_plural = _("考核指标体系")
        ordering = ["-year", "host_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "year", "assessed_type", "title"], name="assess_set_unique_title"
            )
        ]
        indexes = [models.Index(fields=["year", "assessed_type"], name="assess_set_year_type")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.status == SetStatus.PUBLISHED


class IndicatorItem(models.Model):
    """One indicator (考核指标) with its maximum points and scoring guide.

    ``derived_from`` links an item of a derived set to the parent item it inherits or tightens;
    an item without it in a derived set is an added item (层层加码).
    """

    set = models.ForeignKey(
        IndicatorSet, verbose_name=_("指标体系"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("编号"), max_length=32)
    name = models.CharField(_("指标名称"), max_length=200)
    description = models.TextField(_("指标说明"), blank=True, max_length=2000)
    max_points = models.DecimalField(_("分值"), max_digits=POINTS_DIGITS, decimal_places=2)
    scoring_guide = models.TextField(_("评分标准"), blank=True, max_length=2000)
    kind = models.CharField(
        _("指标性质"), max_length=16, choices=ItemKind.choices, default=ItemKind.OUTCOME
    )
    source = models.CharField(
        _("数据来源"), max_length=32, choices=ItemSource.choices, default=ItemSource.MANUAL
    )
    source_params = models.JSONField(_("自动计分参数"), default=dict, blank=True)
    derived_from = models.ForeignKey(
        "self",
        verbose_name=_("派生自上级指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived_items",
    )
    sort_order = models.IntegerField(_("排序"), default=0)
    # An organiser's written reason for keeping an item the 留痕 check refuses; the printed
    # governance report shows it (a false positive never blocks work).
    override_reason = models.TextField(_("采用理由"), blank=True, max_length=500)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["set_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["set", "code"], name="assess_item_code"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="assess_item_points_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_automatic(self) -> bool:
        return self.source != ItemSource.MANUAL


class GovernancePolicy(TimeStampedModel):
    """Overrides of the default governance policy (``governance.default_policy``) for the sets
    hosted anywhere in ``unit``'s subtree; the nearest such row above a host wins.

    Only someone who may change rounds on the unit's parent sets it, so a host cannot relax the
    limits that apply to itself.
    """

    unit = models.OneToOneField(
        "orgs.Unit", verbose_name=_("适用范围"), on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("规则设置"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("减负规则设置")
        verbose_name_plural = _("减负规则设置")

    def __str__(self) -> str:
        return str(self.unit)


class Severity(models.TextChoices):
    ERROR = "error", _("不符合")
    WARNING = "warning", _("提示")


class GovernanceFinding(models.Model):
    """One result of a governance check on a set: which rule, what it found, the rule cited.

    Errors block publishing; warnings (such as 多头考核 overlaps to merge) are listed only.
    """

    set = models.ForeignKey(
        IndicatorSet, verbose_name=_("指标体系"), on_delete=models.CASCADE, related_name="findings"
    )
    code = models.CharField(_("检查项"), max_length=32)
    severity = models.CharField(_("结论"), max_length=16, choices=Severity.choices)
    item = models.ForeignKey(
        IndicatorItem,
        verbose_name=_("指标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    other_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("重叠的指标体系"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    message = models.TextField(_("说明"))
    rule = models.TextField(_("依据"))
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("减负检查结果")
        verbose_name_plural = _("减负检查结果")
        ordering = ["set_id", "id"]

    def __str__(self) -> str:
        return self.message[:60]


class AnnualScore(TimeStampedModel):
    """The annual Party-building score of one assessed unit under one set (年度党建考核得分)."""

    set = models.ForeignKey(
        IndicatorSet, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="scores"
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("被考核组织"), on_delete=models.PROTECT, related_name="+"
    )
    self_submitted_at = models.DateTimeField(_("自评提交时间"), null=True, blank=True)
    self_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("自评人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("年度考核得分")
        verbose_name_plural = _("年度考核得分")
        ordering = ["set_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["set", "unit"], name="assess_score_set_unit")
        ]

    def __str__(self) -> str:
        return f"{self.set} · {self.unit}"


class ItemScore(models.Model):
    """The self score and the host's score of one item for one unit. Never used for items with
    a ``source`` — those are computed."""

    annual = models.ForeignKey(
        AnnualScore, verbose_name=_("年度考核得分"), on_delete=models.CASCADE, related_name="items"
    )
    item = models.ForeignKey(
        IndicatorItem, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="scores"
    )
    self_points = models.DecimalField(
        _("自评分"), max_digits=POINTS_DIGITS, decimal_places=2, null=True, blank=True
    )
    self_note = models.TextField(_("自评说明"), blank=True, max_length=2000)
    host_points = models.DecimalField(
        _("考核得分"), max_digits=POINTS_DIGITS, decimal_places=2, null=True, blank=True
    )
    host_comment = models.TextField(_("评分意见"), blank=True, max_length=2000)
    scorer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评分人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("评分时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["annual_id", "item__sort_order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["annual", "item"], name="assess_itemscore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.host_points}"


def evidence_path(instance: ScoreEvidence, filename: str) -> str:
    return f"assessment-evidence/{instance.item_score_id}/{filename}"


class ScoreEvidence(models.Model):
    """A file supporting a self score. Optional unless the governance policy asks for it (by
    default it does not: no mandatory uploads). Served only through a view that checks scope."""

    item_score = models.ForeignKey(
        ItemScore, verbose_name=_("指标得分"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=255)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("类型"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("自评佐证材料")
        verbose_name_plural = _("自评佐证材料")
        ordering = ["item_score_id", "id"]

    def __str__(self) -> str:
        return self.name


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", _("加分")
    DEDUCTION = "deduction", _("减分")


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class Adjustment(models.Model):
    """加减分: a bonus or deduction with its reason; it counts only once approved by someone
    other than the person who asked for it."""

    annual = models.ForeignKey(
        AnnualScore,
        verbose_name=_("年度考核得分"),
        on_delete=models.CASCADE,
        related_name="adjustments",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=AdjustmentKind.choices)
    points = models.DecimalField(_("分值"), max_digits=POINTS_DIGITS, decimal_places=2)
    reason = models.TextField(_("理由"), max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=AdjustmentStatus.choices,
        default=AdjustmentStatus.PENDING,
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("加减分")
        verbose_name_plural = _("加减分")
        ordering = ["annual_id", "requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="assess_adj_points_pos"),
            # Four eyes: the approver is never the requester (enforced again in the service).
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("requested_by")),
                name="assess_adj_other_approver",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="assess_adj_status")]

    def __str__(self) -> str:
        sign = "+" if self.kind == AdjustmentKind.BONUS else "−"
        return f"{sign}{self.points} {self.reason[:30]}"
