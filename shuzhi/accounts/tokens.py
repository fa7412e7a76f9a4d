"""API token issue and lookup."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from shuzhi.core import audit

from .models import ApiToken, hash_token


def user_for_token(raw: str):
    """The active user owning an unrevoked token, or None."""
    if not raw or not raw.startswith("sz_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return token.user if token else None


@transaction.atomic
def issue_token(*, actor, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``actor`` and return it with the raw value, which is shown once."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=actor,
        name=(name or "").strip()[:100] or "脚本",
        prefix=raw[:10],
        key_hash=hash_token(raw),
    )
    audit.record(actor=actor, action="token.issue", obj=token, changes={"name": [None, token.name]})
    return token, raw


@transaction.atomic
def revoke_token(*, actor, token: ApiToken) -> None:
    """Revoke one of ``actor``'s own tokens."""
    if token.user_id != actor.pk:
        raise PermissionDenied("只能撤销自己的令牌。")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit.record(actor=actor, action="token.revoke", obj=token)
