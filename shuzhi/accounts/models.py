"""Users, role grants on subtrees of the organisation tree and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.roles import Role

__all__ = ["ApiToken", "Grant", "Role", "TokenAccess", "User"]


class User(AbstractUser):
    """A person who signs in. ``person`` links the account to the people register."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    person = models.OneToOneField(
        "orgs.Person",
        verbose_name=_("对应人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Grant(TimeStampedModel):
    """A role held on a unit. It covers the unit's whole subtree, except a secretary's grant,
    which covers the unit and the units that report to it (its direct children)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="grants",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="grants"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="accounts_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenAccess(models.TextChoices):
    """What a token may do in its areas: read (GET) only, or also write."""

    READ = "read", _("只读")
    WRITE = "write", _("读写")


class ApiToken(TimeStampedModel):
    """A bearer token for scripts. Only its SHA-256 is stored; the raw token is shown once.

    A token acts as its owner, narrowed to ``access`` (read or read-write) in ``areas`` (the
    API's areas, :data:`shuzhi.accounts.tokens.AREAS`) until ``expires_at``. Changing or
    resetting the owner's password revokes every token of theirs; a token never manages tokens.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    access = models.CharField(
        _("权限"), max_length=8, choices=TokenAccess.choices, default=TokenAccess.READ
    )
    areas = models.JSONField(_("业务范围"), default=list)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    @property
    def area_names(self) -> list[str]:
        """The token's areas by their names in the UI (codes only for unknown areas)."""
        from .tokens import AREAS  # tokens imports this module

        return [AREAS.get(a, a) for a in self.areas]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def generate() -> str:
        return "sz_" + secrets.token_urlsafe(32)
