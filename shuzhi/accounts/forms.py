"""Sign-in form that explains a lock instead of hiding it behind "wrong password"."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .backends import is_locked


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用。",
        "locked": "登录失败次数过多，该账号已暂时锁定，请稍后再试或联系管理员。",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and is_locked(username):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if username and is_locked(username):
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100, help_text="例如：每日同步脚本")
