"""Problems, who answers for them, and their rectification until verified closed (销号).

One ``Problem`` row carries the three lists for one item: the problem itself (问题清单), who
answers for it (责任清单) and its rectification (整改清单). Its status moves only through
``services.transition`` along the table in ``transitions.py``; every move leaves a
``ProblemTransition``. 逾期 (overdue) is never stored: it is derived from ``deadline`` and the
status (see ``ProblemQuerySet.overdue``).

At year rollover an item not closed is carried into the new year as a new ``Problem`` with
source 上年度遗留 and ``carried_from`` pointing at the old one, so each year's ledger stands on
its own while the chain keeps the whole history.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet

DESCRIPTION_MAX_LENGTH = 2000
CARRIED_SOURCE_CODE = "carried"
CRITIQUE_SOURCE_CODE = "critique"
BALLOT_SOURCE_CODE = "ballot"


class ProblemSource(models.Model):
    """Where a problem was found (巡视, 巡察, 上级点评 …). An administrator can add sources;
    the shipped ones (``builtin``) cannot be removed because services rely on their codes."""

    code = models.SlugField(_("来源代码"), max_length=32, unique=True)
    name = models.CharField(_("来源名称"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    builtin = models.BooleanField(_("系统内置"), default=False, editable=False)

    class Meta:
        verbose_name = _("问题来源")
        verbose_name_plural = _("问题来源")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    MAJOR = "major", _("较重")
    SERIOUS = "serious", _("严重")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    IN_PROGRESS = "in_progress", _("整改中")
    SUBMITTED = "submitted", _("已整改待验收")
    CLOSED = "closed", _("已销号")
    LONG_TERM = "long_term", _("持续整改")


# Statuses in which an item is still being worked on (and can therefore be overdue).
ACTIVE_STATUSES = (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS)
NOT_CLOSED_STATUSES = (
    ProblemStatus.OPEN,
    ProblemStatus.IN_PROGRESS,
    ProblemStatus.SUBMITTED,
    ProblemStatus.LONG_TERM,
)


class ResponsibilityKind(models.TextChoices):
    PRINCIPAL = "principal", _("主体责任")
    FIRST = "first", _("第一责任")
    DIRECT = "direct", _("直接责任")
    DUAL = "dual", _("一岗双责")


class ProblemQuerySet(ScopedQuerySet):
    """Problems belong to their unit. They carry a copy of its path (``unit_path``), so the
    scope filter needs no join — except for one-level roles, bounded by the unit's depth."""

    scope_routes = (("unit_path", "unit__depth"),)
    view_action = "problem.view"

    def in_subtree(self, path: str) -> ProblemQuerySet:
        """Problems of units in the subtree whose path starts with ``path``."""
        return self.filter(unit_path__startswith=path)

    def overdue(self, today: datetime.date) -> ProblemQuerySet:
        """Items still being worked on whose deadline has passed (逾期, derived)."""
        return self.filter(overdue_q(today))

    def still_worked_on(self) -> ProblemQuerySet:
        """Items whose status can still move: not carried into the next year (the copy there is
        the one worked on)."""
        return self.filter(carried_over=False)


def overdue_q(today: datetime.date, prefix: str = "") -> Q:
    """The one definition of 逾期: 待整改 or 整改中, past the deadline, and not carried into the
    next year (its copy there answers for it)."""
    return Q(
        **{
            f"{prefix}status__in": ACTIVE_STATUSES,
            f"{prefix}deadline__lt": today,
            f"{prefix}carried_over": False,
        }
    )


class Problem(TimeStampedModel):
    """One item of the three lists for one unit and one year.

    ``unit_path`` copies the unit's materialised path so subtree filters and roll-ups need no
    join over a million rows; ``signals.py`` keeps it in step when a subtree moves.
    ``critique`` links an item named in a superior's critique (source 上级点评) back to it.
    """

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("问题所在组织"), on_delete=models.PROTECT, related_name="+"
    )
    unit_path = models.CharField(_("组织路径"), max_length=255, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"), default=0, help_text=_("台账中的序号。"))
    description = models.TextField(_("问题描述"), max_length=DESCRIPTION_MAX_LENGTH)
    source = models.ForeignKey(
        ProblemSource, verbose_name=_("问题来源"), on_delete=models.PROTECT, related_name="+"
    )
    severity = models.CharField(
        _("严重程度"), max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    found_on = models.DateField(_("发现日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 责任清单
    responsible_leader = models.ForeignKey(
        "orgs.Person",
        verbose_name=_("责任领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_leader_name = models.CharField(_("责任领导姓名"), max_length=50, blank=True)
    responsible_person = models.ForeignKey(
        "orgs.Person",
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_person_name = models.CharField(_("责任人姓名"), max_length=50, blank=True)
    responsible_department = models.CharField(_("责任部门"), max_length=100, blank=True)
    responsibility_kind = models.CharField(
        _("责任类型"),
        max_length=16,
        choices=ResponsibilityKind.choices,
        default=ResponsibilityKind.PRINCIPAL,
    )
    # 整改清单
    measures = models.TextField(_("整改措施"), blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_on = models.DateField(_("验收日期"), null=True, blank=True)
    verdict = models.TextField(_("验收意见"), blank=True)
    # Links
    carried_from = models.OneToOneField(
        "self",
        verbose_name=_("由上年度转入"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_to",
    )
    critique = models.ForeignKey(
        "reports.Critique",
        verbose_name=_("来自点评"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    round = models.ForeignKey(
        "cycles.Round",
        verbose_name=_("年度述职评议"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Reminder bookkeeping (so the worker sends each reminder once).
    reminded_before_on = models.DateField(_("到期前提醒日期"), null=True, blank=True)
    reminded_overdue_on = models.DateField(_("逾期提醒日期"), null=True, blank=True)
    escalated_on = models.DateField(_("逾期上报日期"), null=True, blank=True)
    # Set by carry-over on the old item: its copy in the next year is the one worked on, so the
    # old one is frozen and never counts as overdue. A stored fact, not a status.
    carried_over = models.BooleanField(
        _("已转入下一年度"), default=False, db_default=False, editable=False
    )

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["year", "unit_path", "serial", "id"]
        indexes = [
            models.Index(
                fields=["unit_path"], name="rect_problem_path", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["unit", "year"], name="rect_problem_unit_year"),
            models.Index(fields=["status", "deadline"], name="rect_problem_status_due"),
            models.Index(fields=["year", "status"], name="rect_problem_year_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(verifier__isnull=False),
                name="rect_problem_closed_has_verifier",
            )
        ]

    def __str__(self) -> str:
        text = self.description.replace("\n", " ")
        return text[:40] + ("…" if len(text) > 40 else "")

    def is_overdue(self, today: datetime.date) -> bool:
        """逾期: still being worked on after its deadline."""
        return (
            self.status in ACTIVE_STATUSES
            and self.deadline is not None
            and self.deadline < today
            and not self.carried_over
        )


class ProblemTransition(models.Model):
    """One move of a problem's status: who, when, why (and the verdict when verifying)."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(
        _("原状态"), max_length=16, choices=ProblemStatus.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=16, choices=ProblemStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["problem_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class ProgressNote(models.Model):
    """A dated progress note (整改进展) on a problem."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="notes"
    )
    on = models.DateField(_("日期"))
    text = models.TextField(_("进展情况"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填写人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")
        ordering = ["problem_id", "on", "id"]

    def __str__(self) -> str:
        return f"{self.on} {self.text[:20]}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.problem_id}/{filename}"


class Evidence(models.Model):
    """A file proving rectification (整改佐证材料). Served only through a view that checks
    ``problem.view``; never directly from MEDIA_ROOT."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=255)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("类型"), max_length=100)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["problem_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class LedgerImport(TimeStampedModel):
    """One upload of a problem ledger from Excel/CSV (导入台账): the file, who, the outcome and
    the row-numbered error report when rows were refused."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("待确认列对应")
        PENDING = "pending", _("等待处理")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("有错误，未导入")

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("导入范围"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    file = models.FileField(_("文件"), upload_to="ledger-imports/", max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    done_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增问题数"), default=0)
    updated_count = models.PositiveIntegerField(_("按序号更新的问题数"), default=0)
    # What the user confirmed in the preview: each column's field by position ("" 不使用), the
    # unit chosen for each name that fitted several units or none, and update by serial.
    mapping = models.JSONField(_("列对应"), default=list, blank=True)
    unit_picks = models.JSONField(_("选定的组织"), default=dict, blank=True)
    update_existing = models.BooleanField(_("按序号更新已有问题"), default=False)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # Written when the import is refused, so the report page never reads the upload again.
    error_report = models.FileField(
        _("错误报告"), upload_to="ledger-imports/reports/", max_length=255, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class LedgerMapping(TimeStampedModel):
    """A named column mapping of a unit's ledger layout (a county imports the same layout
    every quarter): each column title of the file → the field it feeds ("" for 不使用)."""

    host = models.ForeignKey(
        "orgs.Unit", verbose_name=_("所属组织"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("方案名称"), max_length=60)
    columns = models.JSONField(_("列对应"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("保存人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("台账列对应方案")
        verbose_name_plural = _("台账列对应方案")
        ordering = ["host", "name"]
        constraints = [
            models.UniqueConstraint(fields=["host", "name"], name="rect_ledger_mapping_unique")
        ]

    def __str__(self) -> str:
        return self.name
