"""Forms for signing in, accounts, grants and passwords.

The sign-in form explains a wait instead of hiding it behind "wrong password". The account
forms only collect input: the services validate it again and decide what is allowed.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator

from .backends import WAIT_ATTRIBUTE, wait_message
from .models import Role, TokenAccess
from .tokens import AREAS


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用。",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            # The backend notes on the request a wait it refused or started (throttling).
            seconds = getattr(self.request, WAIT_ATTRIBUTE, 0)
            if seconds:
                raise forms.ValidationError(wait_message(seconds), code="throttled") from None
            raise


class TokenForm(forms.Form):
    """A new API token: what it is for, read or write, which areas, how long."""

    name = forms.CharField(label="用途", max_length=100, help_text="例如：每日同步脚本")
    access = forms.ChoiceField(label="权限", choices=TokenAccess.choices, initial=TokenAccess.READ)
    areas = forms.MultipleChoiceField(
        label="业务范围",
        choices=list(AREAS.items()),
        initial=list(AREAS),
        widget=forms.CheckboxSelectMultiple,
    )
    days = forms.IntegerField(label="有效期（天）", min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["days"]
        days.initial = settings.SHUZHI_TOKEN_DEFAULT_DAYS
        days.max_value = settings.SHUZHI_TOKEN_MAX_DAYS  # type: ignore[attr-defined]
        days.help_text = f"最长 {settings.SHUZHI_TOKEN_MAX_DAYS} 天"
        days.validators.append(MaxValueValidator(settings.SHUZHI_TOKEN_MAX_DAYS))


def role_choices(roles: list[str]) -> list[tuple[str, object]]:
    """Choices for a role field, in the table's order, limited to ``roles``."""
    return [(value, label) for value, label in Role.choices if value in roles]


class UnitCodeField(forms.CharField):
    """A unit chosen by its code; the view resolves it inside the actor's scope."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "组织代码")
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "授权所在组织的代码，如 440100；授权覆盖该组织及其下级。")
        super().__init__(**kwargs)


class GrantForm(forms.Form):
    """Give a role on a unit; the roles offered are those the actor may give."""

    unit_code = UnitCodeField()
    role = forms.ChoiceField(
        label="角色",
        help_text="书记的授权覆盖本组织及直接下级；其他角色覆盖本组织及全部下级。",
    )

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(roles)  # type: ignore[attr-defined]


class PasswordPairMixin(forms.Form):
    """Two entries of the new password that must match."""

    new_password1 = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 8 个字符，不能全是数字，不能过于常见，也不能与用户名或姓名相似。",
    )
    new_password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "两次输入的密码不一致。")
        return data


class UserCreateForm(PasswordPairMixin, GrantForm):
    """A new account with its first grant."""

    username = forms.CharField(
        label="用户名", max_length=150, help_text="登录用，只能包含字母、数字和 @ . + - _"
    )
    full_name = forms.CharField(label="姓名", max_length=50)
    email = forms.EmailField(label="电子邮箱", required=False)
    staff_number = forms.CharField(
        label="对应人员的工号或党员编号",
        max_length=32,
        required=False,
        help_text="可选：把账号关联到人员名册中的某个人。",
    )
    field_order = [
        "username",
        "full_name",
        "email",
        "new_password1",
        "new_password2",
        "unit_code",
        "role",
        "staff_number",
    ]


class UserEditForm(forms.Form):
    """An account's name and email."""

    full_name = forms.CharField(label="姓名", max_length=50)
    email = forms.EmailField(label="电子邮箱", required=False)


class PasswordResetForm(PasswordPairMixin):
    """An organiser sets a new password for an account in scope."""


class OwnPasswordForm(PasswordPairMixin):
    """A user changes their own password."""

    old_password = forms.CharField(
        label="原密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]


def apply_service_errors(form: forms.Form, exc: forms.ValidationError, mapping: dict) -> None:
    """Attach a service's per-field errors to ``form``, renaming fields through ``mapping``."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        name = mapping.get(field, field)
        messages = [m for e in errors for m in e.messages]
        form.add_error(name if name in form.fields else None, messages)
