"""Grading models: the committee's 综合评定 of a round's reporters.

A ``Grading`` belongs to one annual round and holds the formula as data: which components
count (年度党建考核得分, 民主测评得分, 点评等次, 整改成效, 加减分) with what weight, the
thresholds that turn the composite into a suggested grade, and the policies (a cap on the share
of 好, disqualifiers that forbid 好, a minimum number of ballots before suggesting anything).
The formula locks as soon as suggestions are computed, so every row is derived from the same
rules.

A ``GradeRow`` is one reporter's result: the composite, each component with its derivation
(so every number can be opened), the suggested grade and the committee's final grade with the
reason when they differ. Confirmation locks the rows; a later correction never overwrites a row
— it adds a new current row with its reason and points the old one at it.

Both are scoped by the round's host: ``Grading.objects.visible_to(user)`` and
``GradeRow.objects.visible_to(user)`` give what ``round.view`` on the host reaches; a grade row
is also in sight of its reporter's own side (who reads it once confirmed is
``grading.policies.can_view_row``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet
from shuzhi.kernel.scope import granted_exactly_at, is_active_user

__all__ = ["GradeRow", "Grading", "GradingStatus"]


class GradingStatus(models.TextChoices):
    DRAFT = "draft", _("待计算")
    SUGGESTED = "suggested", _("已生成建议等次")
    CONFIRMED = "confirmed", _("已确定")


def is_own_reporter(user, reporter) -> bool:
    """Is ``reporter`` the user's own: their person reports, or they hold a grant carrying
    ``report.write`` exactly on the reporting unit? Superusers are not anybody's reporter."""
    if not is_active_user(user):
        return False
    person_id = getattr(user, "person_id", None)
    if person_id is not None and person_id == reporter.person_id:
        return True
    path = reporter.unit.path
    return any(granted == path for granted, _depth in granted_exactly_at(user, "report.write"))


class GradingQuerySet(ScopedQuerySet):
    """A grading is seen through its round's host."""

    scope_routes = (("round__host__path", "round__host__depth"),)
    view_action = "round.view"


class GradeRowQuerySet(ScopedQuerySet):
    """A grade row is seen through its round's host, and by its reporter's own side (the
    rule of :func:`is_own_reporter` as a filter)."""

    scope_routes = (("grading__round__host__path", "grading__round__host__depth"),)
    view_action = "round.view"

    def own_q(self, user, action: str) -> Q | None:
        if action != "round.view" or not is_active_user(user):
            return None
        paths = [path for path, _depth in granted_exactly_at(user, "report.write")]
        condition = Q(reporter__unit__path__in=paths)
        person_id = getattr(user, "person_id", None)
        if person_id:
            condition |= Q(reporter__person_id=person_id)
        return condition

    def owns(self, user, action: str, obj) -> bool:
        return action == "round.view" and is_own_reporter(user, obj.reporter)


class Grading(TimeStampedModel):
    """综合评定 of one annual round.

    ``formula``: ``[{"code", "weight", "method"?}]`` — only the components in use, weights as
    decimal strings summing to 1 (see ``composite.validate_formula``).
    ``thresholds``: ``[{"grade": scale code, "min": "90"}]`` from the best grade down.
    ``policies``: ``{"good_cap_share": null | "0.33", "disqualifiers": [{"code", "label"}],
    "min_ballots_for_grade": int}``.
    """

    round = models.OneToOneField(
        "cycles.Round",
        verbose_name=_("年度述职评议"),
        on_delete=models.PROTECT,
        related_name="grading",
    )
    formula = models.JSONField(_("综合得分公式"), default=list)
    thresholds = models.JSONField(_("等次分数线"), default=list)
    policies = models.JSONField(_("评定规则"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=GradingStatus.choices, default=GradingStatus.DRAFT
    )
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    locked_at = models.DateTimeField(_("确定时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = GradingQuerySet.as_manager()

    class Meta:
        verbose_name = _("综合评定")
        verbose_name_plural = _("综合评定")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.round} · 综合评定"

    @property
    def formula_locked(self) -> bool:
        """The formula cannot change once suggestions exist."""
        return self.status != GradingStatus.DRAFT

    @property
    def is_confirmed(self) -> bool:
        return self.status == GradingStatus.CONFIRMED


class GradeRow(models.Model):
    """One reporter's composite and grade in a grading.

    ``components``: ``{code: {"value": "87.50" | null, "raw": …, "derivation": str, …}}``
    (``value`` null = 无数据). ``suggested``/``final``: scale codes ("" = none).
    A correction after confirmation is a new row (``is_current``) and the old row's
    ``superseded_by`` points at it.
    """

    grading = models.ForeignKey(
        Grading, verbose_name=_("综合评定"), on_delete=models.CASCADE, related_name="rows"
    )
    reporter = models.ForeignKey(
        "cycles.RoundReporter",
        verbose_name=_("述职对象"),
        on_delete=models.PROTECT,
        related_name="grade_rows",
    )
    composite = models.DecimalField(
        _("综合得分"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    components = models.JSONField(_("各项得分"), default=dict)
    derivation = models.TextField(_("建议等次依据"), blank=True)
    suggested = models.CharField(_("建议等次"), max_length=16, blank=True)
    final = models.CharField(_("评定等次"), max_length=16, blank=True)
    reason = models.TextField(_("调整理由"), blank=True, max_length=2000)
    disqualifiers = models.JSONField(_("否决情形"), default=list, blank=True)
    opinion = models.TextField(_("综合评价意见"), blank=True, max_length=5000)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("评定时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认知悉时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认知悉人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_current = models.BooleanField(_("当前有效"), default=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("更正为"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = GradeRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("评定结果")
        verbose_name_plural = _("评定结果")
        ordering = ["grading_id", "rank", "id"]
        constraints = [
            # Exactly one current row per reporter in a grading; corrections keep history.
            models.UniqueConstraint(
                fields=["grading", "reporter"],
                condition=Q(is_current=True),
                name="assess_graderow_one_current",
            )
        ]
        indexes = [models.Index(fields=["reporter", "is_current"], name="assess_graderow_rep")]

    def __str__(self) -> str:
        return f"{self.reporter_id}: {self.final or self.suggested or '—'}"
