"""Accounts API: who am I, accounts and grants in scope, and the caller's own API tokens.

Same rules as the pages: an account outside scope answers 404; in scope without the right, 403;
no right to see accounts anywhere, 403. Writes go through :mod:`shuzhi.accounts.services`.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

from . import policies, services, tokens
from .models import ApiToken, Grant

router = Router(tags=["账号"])


class GrantOut(Schema):
    id: int
    role: str
    unit_id: int
    unit_code: str = Field(..., alias="unit.code")
    unit_name: str = Field(..., alias="unit.name")


class MeOut(Schema):
    username: str
    display_name: str
    is_superuser: bool
    grants: list[GrantOut]


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    is_active: bool
    person_id: int | None
    grants: list[GrantOut]

    @staticmethod
    def resolve_grants(obj) -> list:
        return list(obj.grants.all())


class GrantIn(Schema):
    unit_code: str = Field(..., description="组织代码")
    role: str = Field(..., description="admin / organiser / secretary / inspector / viewer")


class UserCreateIn(Schema):
    username: str
    full_name: str
    password: str
    email: str = ""
    grants: list[GrantIn]


class TokenIn(Schema):
    name: str = Field(..., description="用途，如“每日同步脚本”")
    access: str = Field("read", description="read（只读）或 write（读写）")
    areas: list[str] | None = Field(
        None, description="业务范围，如 orgs、reports；省略为全部：" + "、".join(tokens.AREAS)
    )
    days: int | None = Field(None, description="有效期天数；省略为默认值（通常 90 天）")


class TokenOut(Schema):
    id: int
    user_id: int
    name: str
    prefix: str
    access: str
    areas: list[str]
    created_at: datetime.datetime
    expires_at: datetime.datetime
    revoked_at: datetime.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(..., description="完整令牌，只在创建时返回一次")


def _grants_prefetch() -> Prefetch:
    return Prefetch("grants", queryset=Grant.objects.select_related("unit").order_by("unit__path"))


def _require_user_view(request) -> None:
    if not policies.may_view_users(request.auth):
        raise PermissionDenied("您没有查看用户的权限。")


def _grant_unit(actor, code: str) -> Unit:
    unit = Unit.objects.visible_to(actor, "grant.change").filter(code=code.strip()).first()
    if unit is None:
        raise ValidationError(
            {"unit_code": f"未找到组织代码“{code}”，或该组织不在您的管理范围内。"}
        )
    return unit


def _visible_user(request, user_id: int):
    # Without user.view anywhere every account is out of sight: 404, as on the pages.
    return load(
        policies.users_visible_to(request.auth).prefetch_related(_grants_prefetch()),
        request.auth,
        narrowed=True,
        pk=user_id,
    )


@router.get("/me", response=MeOut)
def me(request):
    """The calling user and their grants."""
    user = request.auth
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_superuser": user.is_superuser,
        "grants": list(user.grants.select_related("unit").order_by("unit__path")),
    }


@router.get("/users", response=list[UserOut])
@paginate
def list_users(request, q: str = ""):
    """Accounts in the caller's scope (every grant inside it), by user name."""
    _require_user_view(request)
    users = policies.users_visible_to(request.auth)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return users.prefetch_related(_grants_prefetch()).order_by("username", "pk")


@router.get("/users/{user_id}", response=UserOut)
def get_user(request, user_id: int):
    """One account in scope."""
    return _visible_user(request, user_id)


@router.post("/users", response={201: UserOut})
def create_user(request, payload: UserCreateIn):
    """Create an account with its first grants (at least one, unless the caller is a superuser)."""
    if not policies.grantable_roles(request.auth):
        raise PermissionDenied("您没有创建用户的权限。")
    grants = [(g.role, _grant_unit(request.auth, g.unit_code)) for g in payload.grants]
    user = services.create_user(
        actor=request.auth,
        username=payload.username,
        full_name=payload.full_name,
        password=payload.password,
        email=payload.email,
        grants=grants,
    )
    return Status(201, type(user).objects.prefetch_related(_grants_prefetch()).get(pk=user.pk))


@router.post("/users/{user_id}/grants", response={201: GrantOut})
def add_grant(request, user_id: int, payload: GrantIn):
    """Give an account in scope a role on a unit in scope."""
    user = _visible_user(request, user_id)
    grant = services.add_grant(
        actor=request.auth,
        user=user,
        role=payload.role,
        unit=_grant_unit(request.auth, payload.unit_code),
    )
    return Status(201, grant)


@router.delete("/grants/{grant_id}", response={204: None})
def revoke_grant(request, grant_id: int):
    """Take a grant away from an account in scope."""
    grant = load(
        Grant.objects.filter(user__in=policies.users_visible_to(request.auth)),
        request.auth,
        narrowed=True,
        pk=grant_id,
    )
    services.revoke_grant(actor=request.auth, grant=grant)
    return Status(204, None)


def _no_token(request) -> None:
    # A token never manages tokens (TokenAuth refuses these paths too; this keeps the rule
    # where the endpoints are).
    if getattr(request, "api_token", None) is not None:
        raise PermissionDenied("API 令牌不能用于查看、创建或撤销令牌，请登录网页后操作。")


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request):
    """The caller's own tokens (never the raw values)."""
    _no_token(request)
    return list(ApiToken.objects.filter(user=request.auth))


@router.post("/tokens", response={201: NewTokenOut})
def create_token(request, payload: TokenIn):
    """Issue a token for the caller; the raw value is in this response and nowhere else."""
    _no_token(request)
    token, raw = tokens.issue_token(
        actor=request.auth,
        name=payload.name,
        access=payload.access,
        areas=payload.areas,
        days=payload.days,
    )
    return Status(201, NewTokenOut(**TokenOut.model_validate(token).model_dump(), token=raw))


@router.get("/users/{user_id}/tokens", response=list[TokenOut])
def list_user_tokens(request, user_id: int):
    """The tokens of an account in scope (never the raw values)."""
    _no_token(request)
    user = _visible_user(request, user_id)
    return list(policies.tokens_visible_to(request.auth).filter(user=user))


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request, token_id: int):
    """Revoke one of the caller's tokens, or a token of an account the caller manages."""
    _no_token(request)
    token = load(
        policies.tokens_visible_to(request.auth).select_related("user"),
        request.auth,
        narrowed=True,
        pk=token_id,
    )
    tokens.revoke_token(actor=request.auth, token=token)
    return Status(204, None)
