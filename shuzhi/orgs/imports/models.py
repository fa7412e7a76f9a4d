"""Import jobs: one uploaded file, its progress through validation and writing, and its result.

A job is created when a file is uploaded (page, API or command) and run by a background task.
It keeps the uploaded file under ``MEDIA_ROOT/imports/``, the counts, the first errors for the
page and the full error report as a CSV file. A user sees their own jobs; superusers see all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.kernel.scope import is_global

MAX_STORED_ERRORS = 1000


class ImportKind(models.TextChoices):
    UNITS = "units", _("组织")
    POSTS = "posts", _("职务")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    VALIDATING = "validating", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("完成")
    FAILED = "failed", _("失败")


FINISHED_STATUSES = frozenset({ImportStatus.DONE, ImportStatus.FAILED})


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImportJobQuerySet:
        """A user's own jobs; every job for superusers; nothing for anonymous users."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if is_global(user):
            return self
        return self.filter(created_by=user)


class ImportJob(models.Model):
    """One import of one file.

    ``errors`` holds the first :data:`MAX_STORED_ERRORS` problems as ``[row, column, message]``
    (row 0 means the file as a whole); ``error_report`` holds all of them as CSV. ``counts``
    holds what a kind counts besides created / updated / unchanged (people created by a post
    import, rows skipped).
    ``processed_rows`` counts rows validated while the status is 校验中 and rows written while
    it is 写入中.
    """

    kind = models.CharField(
        _("导入内容"), max_length=16, choices=ImportKind.choices, default=ImportKind.UNITS
    )
    file = models.FileField(_("上传文件"), upload_to="imports/%Y/%m/", max_length=255)
    file_name = models.CharField(_("文件名"), max_length=255)
    good_rows_only = models.BooleanField(_("只导入无误的行"), default=False)
    # Names with "?" (a character lost in an ANSI save) are refused unless this was ticked.
    accept_question_marks = models.BooleanField(_("确认名称中的问号无误"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新建"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    counts = models.JSONField(_("其他计数"), default=dict, blank=True)
    errors = models.JSONField(_("错误（前 1000 条）"), default=list, blank=True)
    error_report = models.FileField(
        _("错误报告"), upload_to="imports/reports/%Y/%m/", max_length=255, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="orgs_importjob_user"),
        ]

    def __str__(self) -> str:
        return f"导入#{self.pk} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        """Progress of the current phase, 0–100."""
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
