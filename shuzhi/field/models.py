"""Leaders in the field: the contact points (联系点) each leader keeps for a year and the visits
(调研走访) they make. A visit records what happened — never proof of presence: no photo,
location or check-in is asked for. Problems found on a visit go into the ledger through the
rectification service and are linked back here; problems solved link to existing ledger items.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet

# The ledger source of problems found on a leader's visit (shipped by migration 0002).
VISIT_SOURCE_CODE = "visit"

# Defaults of DOMAIN.md when a host has set no policy: 1–2 points, 4 visits a year.
DEFAULT_MIN_POINTS = 1
DEFAULT_MAX_POINTS = 2
DEFAULT_MIN_VISITS = 4
NOTE_MAX_LENGTH = 500


class FieldPolicy(models.Model):
    """How many contact points a leader under ``host`` keeps and how often they visit each.

    The nearest host above a unit decides; without one the defaults of DOMAIN.md apply."""

    host = models.OneToOneField(
        "orgs.Unit", verbose_name=_("主管组织"), on_delete=models.CASCADE, related_name="+"
    )
    min_points = models.PositiveSmallIntegerField(_("联系点最少个数"), default=DEFAULT_MIN_POINTS)
    max_points = models.PositiveSmallIntegerField(_("联系点最多个数"), default=DEFAULT_MAX_POINTS)
    min_visits = models.PositiveSmallIntegerField(
        _("每个联系点每年最少走访次数"), default=DEFAULT_MIN_VISITS
    )

    class Meta:
        verbose_name = _("联系点规则")
        verbose_name_plural = _("联系点规则")

    def __str__(self) -> str:
        return f"{self.host} · {self.min_points}–{self.max_points}个 · {self.min_visits}次"


class ContactPointQuerySet(ScopedQuerySet):
    """A contact point is seen where its unit lies."""

    scope_routes = (("unit__path", "unit__depth"),)
    view_action = "field.view"


class ContactPoint(TimeStampedModel):
    """联系点: a unit in a leader's scope that the leader keeps for one year, with the reason
    (often a weak branch besides their own) and the minimum number of visits agreed."""

    leader = models.ForeignKey(
        "orgs.Person", verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("联系点"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    reason = models.CharField(_("确定理由"), max_length=200)
    min_visits = models.PositiveSmallIntegerField(_("最少走访次数"), default=DEFAULT_MIN_VISITS)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("联系点")
        verbose_name_plural = _("联系点")
        ordering = ["year", "leader_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "unit", "year"], name="field_contact_point_once"
            )
        ]
        indexes = [models.Index(fields=["year", "unit"], name="field_point_year_unit")]

    def __str__(self) -> str:
        return f"{self.year} · {self.leader} · {self.unit}"


class VisitPurpose(models.TextChoices):
    RESEARCH = "research", _("调研")
    LESSON = "lesson", _("上党课")
    SOLVE = "solve", _("解决问题")
    SUPERVISE = "supervise", _("督导")
    OTHER = "other", _("其他")


class VisitQuerySet(ScopedQuerySet):
    """A visit is seen where the visited unit lies."""

    scope_routes = (("unit__path", "unit__depth"),)
    view_action = "field.view"


class Visit(TimeStampedModel):
    """One visit of a leader to a unit in their scope: when, why, a short note and whom they
    met. ``year`` is the visit's calendar year, kept for the year's roll-ups."""

    leader = models.ForeignKey(
        "orgs.Person", verbose_name=_("领导"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("走访单位"), on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("走访日期"))
    year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    purpose = models.CharField(_("走访事由"), max_length=16, choices=VisitPurpose.choices)
    note = models.TextField(_("简要情况"), max_length=NOTE_MAX_LENGTH, blank=True)
    people_met = models.CharField(_("座谈走访对象"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("调研走访")
        verbose_name_plural = _("调研走访")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["leader", "year"], name="field_visit_leader_year"),
            models.Index(fields=["unit", "year"], name="field_visit_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} · {self.leader} · {self.unit}"


class VisitProblemKind(models.TextChoices):
    FOUND = "found", _("发现问题")
    SOLVED = "solved", _("解决问题")


class VisitProblem(models.Model):
    """A ledger item found (recorded from the visit) or solved (an existing item) on a visit."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("走访"), on_delete=models.CASCADE, related_name="problem_links"
    )
    problem = models.ForeignKey(
        "rectification.Problem",
        verbose_name=_("台账问题"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("类别"), max_length=8, choices=VisitProblemKind.choices)

    class Meta:
        verbose_name = _("走访涉及问题")
        verbose_name_plural = _("走访涉及问题")
        constraints = [
            models.UniqueConstraint(fields=["visit", "problem"], name="field_visit_problem_once")
        ]

    def __str__(self) -> str:
        return f"{self.visit} · {self.get_kind_display()} · {self.problem_id}"
