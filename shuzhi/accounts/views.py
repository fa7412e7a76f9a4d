"""Sign-in and the user's own API tokens. User and grant management lives in ``admin_views``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import tokens
from .forms import LoginForm, TokenForm
from .http import AuthenticatedHttpRequest
from .models import ApiToken


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


@login_required
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's API tokens; a new token's raw value is shown once, right after creation."""
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        _, raw = tokens.issue_token(actor=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "raw": raw, "tokens": request.user.api_tokens.all()},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_token(actor=request.user, token=token)
    messages.success(request, "令牌已撤销。")
    return redirect("token_list")
