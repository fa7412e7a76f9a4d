"""Every change to accounts and grants goes through these functions.

Each takes keyword-only arguments and the acting user, checks permission through
:mod:`shuzhi.accounts.policies`, validates (Chinese messages per field), writes in one
transaction and records an audit entry in that same transaction.

Passwords and their hashes never reach the audit trail: a password change is recorded as
``{"password": ["***", "***"]}``, a flag that it changed and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from shuzhi.core import audit, clock
from shuzhi.kernel.scope import forget_grants, is_global
from shuzhi.orgs.people.models import Person, Post
from shuzhi.orgs.people.policies import can_person
from shuzhi.orgs.tree.models import Unit
from shuzhi.orgs.tree.policies import can

from . import policies
from .models import ApiToken, Grant, Role

USER_FIELDS = ("username", "full_name", "email", "is_active", "person")
PASSWORD_CHANGED = ["***", "***"]
FULL_NAME_MAX_LENGTH = 50


def common_scope_path(paths: Sequence[str]) -> str:
    """The path of the deepest unit that contains every one of ``paths`` ("" if none)."""
    if not paths:
        return ""
    split = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return f"/{'/'.join(common)}/" if common else ""


def user_scope_path(user) -> str:
    """Where an account's audit entries belong: the common ancestor of its grants."""
    return common_scope_path([path for path in user.grants.values_list("unit__path", flat=True)])


def _grant_label(role: str, unit: Unit) -> str:
    return f"{Role(role).label} @ {unit.name}（{unit.code}）"


def _require_manage(actor, user) -> None:
    if not policies.can_manage_user(actor, user):
        raise PermissionDenied("您没有权限管理该用户。")


def _clean_full_name(full_name: str) -> str:
    text = (full_name or "").strip()
    if not text:
        raise ValidationError({"full_name": "姓名不能为空。"})
    if len(text) > FULL_NAME_MAX_LENGTH:
        raise ValidationError(
            {"full_name": f"姓名不能超过 {FULL_NAME_MAX_LENGTH} 个字符（现有 {len(text)} 个）。"}
        )
    return text


def _clean_email(email: str) -> str:
    text = (email or "").strip()
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError({"email": "电子邮箱格式不正确。"}) from None
    return text


def _clean_username(username: str) -> str:
    User = get_user_model()
    text = (username or "").strip()
    if not text:
        raise ValidationError({"username": "用户名不能为空。"})
    if len(text) > 150:
        raise ValidationError({"username": "用户名不能超过 150 个字符。"})
    try:
        UnicodeUsernameValidator()(text)
    except ValidationError:
        raise ValidationError(
            {"username": "用户名只能包含字母、数字和 @ . + - _ 字符，不能有空格。"}
        ) from None
    if User.objects.filter(username__iexact=text).exists():
        raise ValidationError({"username": f"用户名“{text}”已被使用。"})
    return text


def _validate_password(password: str, user, *, field: str = "password") -> None:
    if not password:
        raise ValidationError({field: "密码不能为空。"})
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _clean_person(actor, person: Person | None, *, exclude_user_pk: int | None = None):
    """The person an account may be linked to by ``actor``: registered in scope, and every post
    they hold today in scope too — the account acts as the person wherever they hold a post
    (their report, their rectification items), so a link reaching outside the actor's scope
    would hand over another unit's work."""
    if person is None:
        return None
    if not can_person(actor, "person.change", person):
        raise ValidationError({"person": "该人员不在您的管理范围内。"})
    for post in Post.objects.filter(person=person).on(clock.today()).select_related("unit"):
        if not can(actor, "person.change", post.unit):
            raise ValidationError(
                {"person": f"该人员在“{post.unit.name}”任职，超出您的管理范围，不能关联账号。"}
            )
    linked = get_user_model().objects.filter(person=person)
    if exclude_user_pk is not None:
        linked = linked.exclude(pk=exclude_user_pk)
    if linked.exists():
        raise ValidationError({"person": f"人员“{person.name}”已关联其他账号。"})
    return person


def _check_grant(actor, role: str, unit: Unit) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "角色不正确。"})
    if not unit.is_active:
        raise ValidationError({"unit": "不能在已合并或已撤销的组织上授权。"})
    if not policies.can_grant(actor, role, unit):
        if role == Role.ADMIN:
            raise PermissionDenied("只有系统管理员可以授予系统管理员角色。")
        raise PermissionDenied(f"您不能在“{unit.name}”授予“{Role(role).label}”角色。")


def _create_grant(*, actor, user, role: str, unit: Unit) -> Grant:
    grant = Grant.objects.create(
        user=user,
        unit=unit,
        role=role,
        granted_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="grant.add",
        obj=user,
        scope_path=unit.path,
        changes={"grant": [None, _grant_label(role, unit)]},
    )
    forget_grants(user)
    return grant


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    full_name: str,
    password: str,
    email: str = "",
    person: Person | None = None,
    grants: Sequence[tuple[str, Unit]] = (),
):
    """Create an account with its first grants.

    Outside superusers, an account needs at least one grant at creation: the grants are what
    put it in its creator's scope, and an account outside every scope could be managed by no
    one but a superuser.
    """
    User = get_user_model()
    if not grants and not is_global(actor):
        raise ValidationError({"grants": "请至少为新用户授予一项角色。"})
    for role, unit in grants:
        _check_grant(actor, role, unit)
    if len({(role, unit.pk) for role, unit in grants}) != len(grants):
        raise ValidationError({"grants": "授权重复。"})
    user = User(
        username=_clean_username(username),
        full_name=_clean_full_name(full_name),
        email=_clean_email(email),
    )
    user.person = _clean_person(actor, person)
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    scope_path = common_scope_path([unit.path for _, unit in grants])
    changes = {name: [None, value] for name, value in audit.snapshot(user, USER_FIELDS).items()}
    changes["password"] = [None, "***"]
    audit.record(
        actor=actor, action="user.create", obj=user, scope_path=scope_path, changes=changes
    )
    for role, unit in grants:
        _create_grant(actor=actor, user=user, role=role, unit=unit)
    return user


_UNSET = object()


@transaction.atomic
def update_user(
    *,
    actor,
    user,
    full_name: str | None = None,
    email: str | None = None,
    is_active: bool | None = None,
    person=_UNSET,
):
    """Change an account's name, email, linked person or active flag."""
    _require_manage(actor, user)
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=user.pk)
    before = audit.snapshot(user, USER_FIELDS)
    if full_name is not None:
        user.full_name = _clean_full_name(full_name)
    if email is not None:
        user.email = _clean_email(email)
    if person is not _UNSET:
        user.person = _clean_person(actor, person, exclude_user_pk=user.pk)  # type: ignore[arg-type]
    if is_active is not None:
        if not is_active and user.pk == actor.pk:
            raise ValidationError({"is_active": "不能停用自己的账号。"})
        user.is_active = is_active
    changes = audit.diff(before, user)
    if changes:
        user.save()
        action = "user.update"
        if list(changes) == ["is_active"]:
            action = "user.activate" if user.is_active else "user.deactivate"
        audit.record(
            actor=actor,
            action=action,
            obj=user,
            scope_path=user_scope_path(user),
            changes=changes,
        )
    return user


def deactivate_user(*, actor, user):
    """Stop an account from signing in or using its API tokens; its history stays."""
    return update_user(actor=actor, user=user, is_active=False)


@transaction.atomic
def set_password(*, actor, user, new_password: str, old_password: str | None = None) -> None:
    """Set ``user``'s password.

    A user changes their own password by giving the old one. An organiser who may manage the
    account resets it without the old one. Either way every API token of the account is
    revoked (a token may have leaked with the password) and the sign-in failure counts start
    afresh (they are keyed with the password hash, ``backends``). Other sessions of the account
    end by themselves: Django checks the password hash stored in each session.
    """
    own = getattr(actor, "pk", None) == user.pk
    if own:
        # Even an organiser gives the old password for their own account: a borrowed session
        # must not be enough to take the account over.
        if not old_password or not user.check_password(old_password):
            raise ValidationError({"old_password": "原密码不正确。"})
    else:
        _require_manage(actor, user)
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    note = f"已撤销 {revoked} 个 API 令牌" if revoked else ""
    audit.record(
        actor=actor,
        action="user.password_change" if own else "user.password_reset",
        obj=user,
        scope_path=user_scope_path(user),
        changes={"password": PASSWORD_CHANGED},
        note=note,
    )


@transaction.atomic
def add_grant(*, actor, user, role: str, unit: Unit) -> Grant:
    """Give ``user`` ``role`` on ``unit`` (covering its subtree, or one level for secretaries)."""
    _require_manage(actor, user)
    _check_grant(actor, role, unit)
    if Grant.objects.filter(user=user, unit=unit, role=role).exists():
        raise ValidationError({"role": "该用户在此组织已有这一角色。"})
    return _create_grant(actor=actor, user=user, role=role, unit=unit)


@transaction.atomic
def revoke_grant(*, actor, grant: Grant) -> None:
    """Take a grant away. An organiser may not remove an account's last grant (deactivate it
    instead), so no account drifts out of every organiser's scope."""
    grant = Grant.objects.select_related("user", "unit").select_for_update().get(pk=grant.pk)
    user = grant.user
    _require_manage(actor, user)
    if not is_global(actor) and user.grants.count() == 1:
        raise ValidationError({"grant": "这是该用户的最后一项授权，不能撤销；如需停用请停用账号。"})
    unit = grant.unit
    role = grant.role
    grant.delete()
    audit.record(
        actor=actor,
        action="grant.revoke",
        obj=user,
        scope_path=unit.path,
        changes={"grant": [_grant_label(role, unit), None]},
    )
    forget_grants(user)
