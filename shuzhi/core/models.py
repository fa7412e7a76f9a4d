"""Base models and the audit trail shared by every app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds creation and last-change times to a model."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntryQuerySet(models.QuerySet):
    """Audit entries can be read and searched but never changed or deleted in bulk."""

    def update(self, **kwargs):  # type: ignore[override]
        raise PermissionError("Audit entries are immutable.")

    def delete(self):  # type: ignore[override]
        raise PermissionError("Audit entries are immutable.")


class AuditEntry(models.Model):
    """One change made through the product: who did what to which object, and what changed.

    ``scope_path`` is the materialised path of the unit the object belongs to, so that an
    organiser sees the history of exactly the objects in their subtree. ``changes`` maps a field
    to ``[before, after]``. Rows are append-only: the model refuses updates and deletes, and on
    PostgreSQL a trigger refuses them in the database too.
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_label = models.CharField(_("对象名称"), max_length=255, blank=True)
    scope_path = models.CharField(_("所属范围"), max_length=255, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="core_audit_object"),
            models.Index(
                fields=["scope_path"], name="core_audit_scope", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise PermissionError("Audit entries are immutable.")

    @property
    def change_pairs(self) -> list[tuple[str, object, object]]:
        """``(field, before, after)`` for display. Read through this, not ``changes.items`` in a
        template: a template resolves ``changes.items`` to a field named "items" when there is
        one. A value that is not a ``[before, after]`` pair shows as the new value."""
        pairs: list[tuple[str, object, object]] = []
        for field, value in (self.changes or {}).items():
            if isinstance(value, list | tuple) and len(value) == 2:
                pairs.append((field, value[0], value[1]))
            else:
                pairs.append((field, None, value))
        return pairs


class Notification(models.Model):
    """A message in a user's in-app inbox (提醒). Sent through ``core.notify`` which also
    e-mails it (after commit) when the user has an address. ``key`` makes a send idempotent:
    the same reminder for the same object and day is stored once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类别"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    key = models.CharField(_("去重键"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed = models.BooleanField(_("已发邮件"), default=False)

    class Meta:
        verbose_name = _("站内提醒")
        verbose_name_plural = _("站内提醒")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="core_notice_user_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~models.Q(key=""),
                name="core_notice_user_key",
            )
        ]

    def __str__(self) -> str:
        return self.title


class TaskRun(models.Model):
    """One run of a background job (e.g. the daily reminders), so a page can show when it last
    ran and what it did."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("运行中")
        OK = "ok", _("成功")
        FAILED = "failed", _("失败")

    name = models.CharField(_("任务"), max_length=64, db_index=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    summary = models.JSONField(_("摘要"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("后台任务运行记录")
        verbose_name_plural = _("后台任务运行记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M}"
