"""The home page: what this user can do, grant by grant, and the latest rounds they see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from shuzhi.accounts.http import AuthenticatedHttpRequest
from shuzhi.cycles.policies import rounds_visible_to
from shuzhi.kernel.roles import ROLE_ACTIONS
from shuzhi.kernel.scope import is_global


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What this user can do, grant by grant."""
    grants = list(request.user.grants.select_related("unit", "unit__type").order_by("unit__path"))
    rounds = list(
        rounds_visible_to(request.user).select_related("host").order_by("-year", "pk")[:5]
    )
    return render(
        request,
        "dashboards/home.html",
        {
            "grants": grants,
            "rounds": rounds,
            "is_global": is_global(request.user),
            "role_actions": {role: sorted(actions) for role, actions in ROLE_ACTIONS.items()},
        },
    )
