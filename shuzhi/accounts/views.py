"""Sign-in and the user's own API tokens. User and grant management lives in ``admin_views``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuzhi.kernel.loader import load

from . import policies, tokens
from .forms import LoginForm, TokenForm
from .http import AuthenticatedHttpRequest


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


@login_required
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's API tokens; a new token's raw value is shown once, right after creation."""
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, raw = tokens.issue_token(
                actor=request.user,
                name=data["name"],
                access=data["access"],
                areas=data["areas"],
                days=data["days"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "raw": raw, "tokens": request.user.api_tokens.all(), "now": timezone.now()},
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Revoke a token: one's own (back to the token page) or, for whoever manages the owner's
    account, one of theirs (back to the account's page)."""
    token = load(
        policies.tokens_visible_to(request.user).select_related("user"),
        request.user,
        narrowed=True,
        allowed=policies.can_revoke_token,
        pk=pk,
    )
    tokens.revoke_token(actor=request.user, token=token)
    messages.success(request, "令牌已撤销。")
    if token.user_id == request.user.pk:
        return redirect("token_list")
    return redirect("user_detail", pk=token.user_id)
