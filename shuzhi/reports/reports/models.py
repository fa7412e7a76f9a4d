"""述职报告: the reporter's own account of the year, its versions, events and attachments.

A ``Report`` belongs to one reporter of one round (``cycles.RoundReporter``). Its current text
lives on the row; every submission freezes a ``ReportVersion`` so earlier versions can be
compared. Status moves only through ``services`` along ``transitions.REPORT`` and each move
leaves a ``ReportEvent`` (who, when, comment).

``CarriedAnswer`` rows are the 上年度问题整改情况 section: one per problem of the reporter's unit
from the previous year, pre-filled when the report is created; all must be answered before the
report can be submitted.

Critiques (``critiques.models``) and rectification plans (``plans.models``) hang off the same
``RoundReporter`` and are scoped by the same routes (:data:`REPORTER_ROUTES`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet
from shuzhi.kernel.scope import granted_exactly_at, is_active_user, is_global
from shuzhi.reports.reports.quality import carried_shortfall


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回修改")
    ACCEPTED = "accepted", _("已审核通过")


# The sections of a report in the order they print (DOMAIN.md §4).
SECTIONS = (
    ("performance", "履职情况"),
    ("problems", "存在问题及原因"),
    ("next_steps", "下步打算"),
)


# A reporter's rows are scoped by the reporting unit or by the round's host.
REPORTER_ROUTES = (
    ("reporter__unit__path", "reporter__unit__depth"),
    ("reporter__round__host__path", "reporter__round__host__depth"),
)


def draft_writers_q(user, prefix: str = "reporter__") -> Q:
    """Rows of reporters whose report and plan ``user`` writes, as a filter: a ``report.write``
    grant exactly on the reporting unit, or the reporting person's own account (the rule of
    ``reports.policies.can_write_report`` for the drafts' circle)."""
    writers = Q(
        **{f"{prefix}unit__path__in": [p for p, _d in granted_exactly_at(user, "report.write")]}
    )
    person_id = getattr(user, "person_id", None)
    if person_id and is_active_user(user):
        writers |= Q(**{f"{prefix}person_id": person_id})
    return writers


def in_drafts_circle(user, reporter) -> bool:
    """The object form of :func:`draft_writers_q` for one reporter (a global administrator is
    in every circle)."""
    if is_global(user):
        return True
    person_id = getattr(user, "person_id", None)
    if person_id and is_active_user(user) and reporter.person_id == person_id:
        return True
    unit_path = reporter.unit.path
    return any(path == unit_path for path, _d in granted_exactly_at(user, "report.write"))


class DraftStaysWithWritersQuerySet(ScopedQuerySet):
    """Rows of a reporter (its report, its plan) that stay with the writers while they are
    drafts: the host's viewers and reviewers read nothing of one before it is submitted."""

    scope_routes = REPORTER_ROUTES
    view_action = "report.view"

    def scope_filter(self, user, action: str) -> Q:
        condition = super().scope_filter(user, action)
        if action != "report.view" or is_global(user):
            return condition
        return condition & (~Q(status="draft") | draft_writers_q(user))

    def allows(self, user, action: str, obj) -> bool:
        if not super().allows(user, action, obj):
            return False
        if action != "report.view" or obj.status != "draft":
            return True
        return in_drafts_circle(user, obj.reporter)


class ReportQuerySet(DraftStaysWithWritersQuerySet):
    """A report is seen through its reporting unit or its round's host, and by the reporting
    person's own account — once submitted. A draft stays with its writers (a ``report.write``
    grant exactly on the reporting unit, the reporting person's account, a global
    administrator) until it is submitted: the host's viewers and reviewers read nothing of it
    before (``reports.policies.can_write_report`` is the same rule for one report)."""

    def own_q(self, user, action: str) -> Q | None:
        person_id = getattr(user, "person_id", None)
        if action != "report.view" or not person_id or not is_active_user(user):
            return None
        return Q(reporter__person_id=person_id)

    def owns(self, user, action: str, obj) -> bool:
        person_id = getattr(user, "person_id", None)
        return (
            action == "report.view"
            and bool(person_id)
            and is_active_user(user)
            and obj.reporter.person_id == person_id
        )


class Report(TimeStampedModel):
    """述职报告 of one reporter in one round.

    ``sections``: ``{"performance": str, "problems": str, "next_steps": str}``;
    ``topic_answers``: ``{topic_code: str}`` for the round's must-answer topics (必答题);
    ``indicators``: ``[{"name", "value", "unit", "note"}]`` — the key-indicator table.
    ``version`` counts submissions (0 while never submitted).
    """

    reporter = models.OneToOneField(
        "cycles.RoundReporter",
        verbose_name=_("述职对象"),
        on_delete=models.CASCADE,
        related_name="report",
    )
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    sections = models.JSONField(_("正文"), default=dict, blank=True)
    topic_answers = models.JSONField(_("必答题"), default=dict, blank=True)
    indicators = models.JSONField(_("主要指标"), default=list, blank=True)
    version = models.PositiveIntegerField(_("提交次数"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撰写人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")
        ordering = ["reporter__round_id", "reporter__sort_order", "id"]
        indexes = [models.Index(fields=["status"], name="reports_report_status")]

    def __str__(self) -> str:
        return self.title


class ReportVersion(models.Model):
    """A frozen copy of a report at one submission, for comparison and the record."""

    report = models.ForeignKey(
        Report, verbose_name=_("述职报告"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    content = models.JSONField(_("内容"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报告版本")
        verbose_name_plural = _("报告版本")
        ordering = ["report_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="reports_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class ReportEvent(models.Model):
    """One move of a report's status (submit, return with comments, accept)."""

    report = models.ForeignKey(
        Report, verbose_name=_("述职报告"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=ReportStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ReportStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    comment = models.TextField(_("意见"), blank=True)
    version = models.PositiveIntegerField(_("对应版本"), default=0)

    class Meta:
        verbose_name = _("报告流转记录")
        verbose_name_plural = _("报告流转记录")
        ordering = ["report_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class CarriedAnswer(models.Model):
    """The report's answer on one problem carried from last year (上年度问题整改情况)."""

    report = models.ForeignKey(
        Report, verbose_name=_("述职报告"), on_delete=models.CASCADE, related_name="carried"
    )
    problem = models.ForeignKey(
        "rectification.Problem",
        verbose_name=_("上年度问题"),
        on_delete=models.PROTECT,
        related_name="report_answers",
    )
    answer = models.TextField(_("整改情况"), blank=True)
    evidence = models.TextField(_("佐证说明"), blank=True)
    status_at_answer = models.CharField(_("填报时状态"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("上年度问题整改情况")
        verbose_name_plural = _("上年度问题整改情况")
        ordering = ["report_id", "problem__serial", "problem_id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "problem"], name="reports_carried_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.problem}"

    @property
    def is_answered(self) -> bool:
        """Answered with a status and evidence or a concrete description (the rule submit
        enforces; "已整改到位" alone does not count)."""
        return not carried_shortfall(self.answer, self.evidence, self.status_at_answer)


class AttachmentKind(models.TextChoices):
    DOCUMENT = "document", _("文档")
    IMAGE = "image", _("图片")
    VIDEO = "video", _("视频")


def attachment_path(instance: ReportAttachment, filename: str) -> str:
    return f"reports/{instance.report_id}/{filename}"


class ReportAttachment(models.Model):
    """A document, image or short video attached to a report; served through a checked view."""

    report = models.ForeignKey(
        Report, verbose_name=_("述职报告"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("类别"), max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
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
        verbose_name = _("报告附件")
        verbose_name_plural = _("报告附件")
        ordering = ["report_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
