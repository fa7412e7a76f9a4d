"""Models of 结果运用: what a grade leads to, the follow-up records, and the circular (通报).

``ConsequenceRule`` is the grade → consequence table of one host unit, as data (DOMAIN.md §6:
一般 → 约谈 by the organisation department; 差 → 约谈 by the secretary and 限期整改; 好 → listed
for commendation). A host without rows gets the defaults (:func:`default_rules`) the first
time grades are confirmed or the table is edited.

Confirming grades turns each current ``GradeRow`` into ``FollowUp`` records — talks to hold,
commendations, and rectification items (the ledger item itself lives in ``rectification``; the
follow-up points at it). A correction of a grade cancels what no longer applies (with a reason,
never a deletion of finished work) and adds what the new grade calls for.

``Circular`` is the 通报 of a round: editable text sections and a snapshot of the figures it
cites, generated from the grades and locked once issued, with its distribution scope recorded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet
from shuzhi.kernel.scope import is_active_user

__all__ = [
    "Circular",
    "CircularStatus",
    "ConsequenceRule",
    "FollowUp",
    "FollowUpKind",
    "FollowUpStatus",
    "TalkBy",
    "default_rules",
]

DEFAULT_TALK_DAYS_ORG = 30
DEFAULT_TALK_DAYS_SECRETARY = 15
DEFAULT_RECTIFY_DAYS = 90


class TalkBy(models.TextChoices):
    """Who holds an admonitory talk (约谈)."""

    ORG_DEPARTMENT = "org_department", _("组织部门")
    SECRETARY = "secretary", _("党委（党组）书记")


def default_rules(scale: list[dict]) -> list[dict]:
    """The DOMAIN.md defaults laid over a round's scale, by position from the best grade.

    The best grade is listed for commendation; with three grades or more the second-worst
    leads to a talk by the organisation department, and the worst to a talk by the secretary
    plus rectification within a deadline; every grade below the second-best is criticised in
    the circular. On the default scale (好 / 较好 / 一般 / 差) that is exactly the rule of
    practice; a host adjusts the table for other scales.
    """
    rules = []
    count = len(scale)
    for index, grade in enumerate(scale):
        rule = {
            "grade": str(grade.get("code", "")),
            "grade_label": str(grade.get("label", ""))[:16],
            "talk": False,
            "talk_by": TalkBy.ORG_DEPARTMENT.value,
            "talk_within_days": DEFAULT_TALK_DAYS_ORG,
            "rectify": False,
            "rectify_within_days": DEFAULT_RECTIFY_DAYS,
            "commend": index == 0,
            "criticise": False,
            "note": "",
        }
        if count >= 3 and index == count - 2:
            rule.update(talk=True, criticise=True)
        if count >= 2 and index == count - 1:
            rule.update(
                talk=True,
                talk_by=TalkBy.SECRETARY.value,
                talk_within_days=DEFAULT_TALK_DAYS_SECRETARY,
                rectify=True,
                criticise=True,
            )
        rules.append(rule)
    return rules


class ConsequenceRule(TimeStampedModel):
    """结果运用规则: what one grade leads to in the rounds of one host unit."""

    host = models.ForeignKey(
        "orgs.Unit", verbose_name=_("主办组织"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("等次代码"), max_length=16)
    grade_label = models.CharField(_("等次"), max_length=16)
    talk = models.BooleanField(_("约谈"), default=False)
    talk_by = models.CharField(
        _("约谈人"), max_length=16, choices=TalkBy.choices, default=TalkBy.ORG_DEPARTMENT
    )
    talk_within_days = models.PositiveSmallIntegerField(_("约谈期限（天）"), default=30)
    rectify = models.BooleanField(_("限期整改"), default=False)
    rectify_within_days = models.PositiveSmallIntegerField(_("整改期限（天）"), default=90)
    commend = models.BooleanField(_("列入表扬名单"), default=False)
    criticise = models.BooleanField(_("通报批评"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("结果运用规则")
        verbose_name_plural = _("结果运用规则")
        ordering = ["host_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["host", "grade"], name="assess_rule_host_grade")
        ]

    def __str__(self) -> str:
        return f"{self.grade_label}：{self.summary}"

    @property
    def summary(self) -> str:
        """The consequences in one line, as the table shows them."""
        parts = []
        if self.commend:
            parts.append("列入表扬名单")
        if self.talk:
            parts.append(f"由{TalkBy(self.talk_by).label}约谈（{self.talk_within_days}天内）")
        if self.rectify:
            parts.append(f"限期整改（{self.rectify_within_days}天）")
        if self.criticise:
            parts.append("通报批评")
        return "；".join(parts) or "无"


class FollowUpKind(models.TextChoices):
    TALK = "talk", _("约谈")
    COMMENDATION = "commendation", _("表扬")
    RECTIFICATION = "rectification", _("限期整改")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待办理")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class FollowUpQuerySet(ScopedQuerySet):
    """A follow-up belongs to its round's host; the talk's holder and the person it concerns
    also read it."""

    scope_routes = (("round__host__path", "round__host__depth"),)
    view_action = "round.view"

    def own_q(self, user, action: str) -> Q | None:
        if action != "round.view" or not is_active_user(user):
            return None
        # The person a talk or rectification concerns is told about it and may read it.
        own = Q(conductor_user_id=user.pk)
        if getattr(user, "person_id", None):
            own |= Q(with_person_id=user.person_id)
        return own

    def owns(self, user, action: str, obj) -> bool:
        if action != "round.view" or not is_active_user(user):
            return False
        person_id = getattr(user, "person_id", None)
        return obj.conductor_user_id == user.pk or bool(
            person_id and obj.with_person_id == person_id
        )


class FollowUp(TimeStampedModel):
    """One consequence of one grade: a talk to hold, a commendation, or a rectification item.

    At most one per grade row and kind, which is what makes confirming twice harmless. A talk
    names who holds it (``conducted_by`` and, when known, the person and their account, who may
    then mark it done) and with whom; ``rule`` keeps the rule as it applied.
    """

    round = models.ForeignKey(
        "cycles.Round",
        verbose_name=_("年度述职评议"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    grade_row = models.ForeignKey(
        "assessment.GradeRow",
        verbose_name=_("评定结果"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    reporter = models.ForeignKey(
        "cycles.RoundReporter",
        verbose_name=_("述职对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("类型"), max_length=16, choices=FollowUpKind.choices)
    grade = models.CharField(_("等次代码"), max_length=16)
    grade_label = models.CharField(_("等次"), max_length=16)
    conducted_by = models.CharField(_("约谈人"), max_length=16, choices=TalkBy.choices, blank=True)
    conductor = models.ForeignKey(
        "orgs.Person",
        verbose_name=_("约谈人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    conductor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("约谈人账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    with_person = models.ForeignKey(
        "orgs.Person",
        verbose_name=_("约谈对象"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    problem = models.ForeignKey(
        "rectification.Problem",
        verbose_name=_("整改问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule = models.JSONField(_("适用规则"), default=dict, blank=True)
    notes = models.TextField(_("情况记录"), blank=True, max_length=2000)
    status = models.CharField(
        _("状态"), max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("结果运用事项")
        verbose_name_plural = _("结果运用事项")
        ordering = ["round_id", "kind", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grade_row", "kind"], name="assess_followup_row_kind")
        ]
        indexes = [
            models.Index(fields=["round", "kind", "status"], name="assess_followup_round"),
            models.Index(fields=["conductor_user", "status"], name="assess_followup_conductor"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.reporter_id}"


class CircularStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已印发")


class CircularQuerySet(ScopedQuerySet):
    """A circular belongs to its round's host."""

    scope_routes = (("round__host__path", "round__host__depth"),)
    view_action = "round.view"


class Circular(TimeStampedModel):
    """通报 of a round's results.

    ``sections``: ``[{"code", "heading", "text"}]`` — the editable body; ``data``: the figures
    the draft was generated from (grade distribution, commended and criticised units), kept so
    an issued circular prints the same even if a grade is corrected later. ``scope_units`` /
    ``scope_levels`` / ``scope_text`` record who it goes to (发至范围). Issued → locked.
    """

    round = models.ForeignKey(
        "cycles.Round",
        verbose_name=_("年度述职评议"),
        on_delete=models.PROTECT,
        related_name="circulars",
    )
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=100)
    signed_on = models.DateField(_("成文日期"), null=True, blank=True)
    sections = models.JSONField(_("正文"), default=list)
    data = models.JSONField(_("引用数据"), default=dict, blank=True)
    scope_units = models.ManyToManyField(
        "orgs.Unit", verbose_name=_("发至组织"), blank=True, related_name="+"
    )
    scope_levels = models.JSONField(_("发至层级"), default=list, blank=True)
    scope_text = models.CharField(_("发至范围说明"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=CircularStatus.choices, default=CircularStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("印发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CircularQuerySet.as_manager()

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(issued_at__isnull=False),
                name="assess_circular_issued_at",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.status == CircularStatus.ISSUED
