"""API tokens: issue, look up, narrow to their access and areas, list and revoke.

A token acts as its owner, narrowed three ways: ``access`` (read: GET only; write: any method),
``areas`` (the API's areas below, by the first part of the path after ``/api/``) and
``expires_at``. A request outside them gets 403 with the reason in Chinese. Tokens never manage
tokens: the token endpoints refuse a request authenticated by a token, so a leaked token cannot
mint a longer-lived or wider one. Every token of an owner is revoked when their password is
changed or reset (``services.set_password``).
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shuzhi.core import audit

from . import policies
from .models import ApiToken, TokenAccess, hash_token
from .services import common_scope_path

# The API's areas a token may be given, with their names in the UI.
AREAS: dict[str, str] = {
    "orgs": "组织与人员",
    "accounts": "账号与授权",
    "audit": "操作记录",
    "cycles": "年度轮次",
    "meetings": "会议",
    "ballots": "投票",
    "rectification": "问题整改",
    "reports": "述职报告",
    "assessment": "考核评价",
    "plan": "年度重点任务",
    "inbox": "待办",
    "field": "联系点与走访",
}
# The first part of an API path (``/api/<part>/…``) and the area it belongs to. A path in no
# area is refused to every token (a new router must be added here to be reachable by scripts).
PATH_AREAS: dict[str, str] = {
    "units": "orgs",
    "people": "orgs",
    "accounts": "accounts",
    "audit": "audit",
    "rounds": "cycles",
    "meetings": "meetings",
    "ballots": "ballots",
    "problems": "rectification",
    "reports": "reports",
    "assessment": "assessment",
    "plan": "plan",
    "inbox": "inbox",
    "field": "field",
}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The token endpoints: the caller's tokens and an account's tokens.
TOKEN_PATHS = re.compile(r"^/api/accounts/(tokens|users/[^/]+/tokens)(/|$)")


def token_for(raw: str) -> ApiToken | None:
    """The unrevoked, unexpired token of an active user with this raw value, or None."""
    if not raw or not raw.startswith("sz_"):
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=hash_token(raw),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


def area_of(path: str) -> str | None:
    """The area of an API path, or None."""
    parts = path.split("/")
    # "/api/units/…" splits into ["", "api", "units", …].
    if len(parts) < 3 or parts[1] != "api":
        return None
    return PATH_AREAS.get(parts[2])


def refusal(token: ApiToken, *, method: str, path: str) -> str:
    """Why ``token`` may not make this request ("" when it may). ``path`` is the path inside
    the site (``request.path_info``), whatever prefix the site is served under."""
    if TOKEN_PATHS.match(path):
        return "API 令牌不能用于查看、创建或撤销令牌，请登录网页后操作。"
    area = area_of(path)
    if area is None or area not in token.areas:
        name = AREAS.get(area or "", "该接口")
        return f"该令牌无权访问“{name}”，请使用包含该业务范围的令牌。"
    if method.upper() not in READ_METHODS and token.access != TokenAccess.WRITE:
        return "该令牌为只读令牌，不能修改数据。"
    return ""


def _clean_areas(areas: list[str] | None) -> list[str]:
    chosen = list(AREAS) if areas is None else [a for a in AREAS if a in set(areas)]
    unknown = sorted(set(areas or ()) - set(AREAS))
    if unknown:
        raise ValidationError({"areas": f"未知的业务范围：{'、'.join(unknown)}。"})
    if not chosen:
        raise ValidationError({"areas": "请至少选择一个业务范围。"})
    return chosen


def _clean_days(days: int | None) -> int:
    if days is None:
        return settings.SHUZHI_TOKEN_DEFAULT_DAYS
    longest = settings.SHUZHI_TOKEN_MAX_DAYS
    if not isinstance(days, int) or days < 1 or days > longest:
        raise ValidationError({"days": f"有效期必须是 1 到 {longest} 天。"})
    return days


@transaction.atomic
def issue_token(
    *,
    actor,
    name: str,
    access: str = TokenAccess.READ,
    areas: list[str] | None = None,
    days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``actor`` and return it with the raw value, which is shown once.

    ``areas`` defaults to every area, ``days`` to ``SHUZHI_TOKEN_DEFAULT_DAYS`` (at most
    ``SHUZHI_TOKEN_MAX_DAYS``), ``access`` to read only."""
    if access not in TokenAccess.values:
        raise ValidationError({"access": "权限只能是只读（read）或读写（write）。"})
    chosen = _clean_areas(areas)
    lifetime = _clean_days(days)
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=actor,
        name=(name or "").strip()[:100] or "脚本",
        prefix=raw[:10],
        key_hash=hash_token(raw),
        access=access,
        areas=chosen,
        expires_at=timezone.now() + datetime.timedelta(days=lifetime),
    )
    audit.record(
        actor=actor,
        action="token.issue",
        obj=token,
        object_label=f"接口令牌“{token.name}”",
        changes={
            "name": [None, token.name],
            "access": [None, token.access],
            "areas": [None, chosen],
            "expires_at": [None, token.expires_at.isoformat(timespec="minutes")],
        },
    )
    return token, raw


@transaction.atomic
def revoke_token(*, actor, token: ApiToken) -> None:
    """Revoke a token: the owner's own, or one of an account ``actor`` may manage."""
    if not policies.can_revoke_token(actor, token):
        raise PermissionDenied("您没有权限撤销该令牌。")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(
        actor=actor,
        action="token.revoke",
        obj=token,
        scope_path=_owner_scope(token),
        object_label=f"接口令牌“{token.name}”",
        changes={"owner": [token.user.display_name, None]} if token.user_id != actor.pk else None,
    )


def _owner_scope(token: ApiToken) -> str:
    paths = list(token.user.grants.values_list("unit__path", flat=True))
    return common_scope_path(paths)
