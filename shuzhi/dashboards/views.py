"""The home page (what to do now and next) and the profile page (what this user may do,
grant by grant)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from shuzhi.accounts.http import AuthenticatedHttpRequest
from shuzhi.cycles.policies import rounds_visible_to
from shuzhi.kernel.roles import ROLE_ACTIONS
from shuzhi.kernel.scope import is_global

from .work import work_of


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's work queues, each item a link to the page where it is done."""
    queues = work_of(request.user)
    rounds = list(
        rounds_visible_to(request.user).select_related("host").order_by("-year", "pk")[:5]
    )
    return render(
        request,
        "dashboards/home.html",
        {
            "queues": queues,
            "total": sum(q.count for q in queues),
            "rounds": rounds,
            "has_grants": bool(request.user.grants.exists()) or is_global(request.user),
        },
    )


@login_required
def work_count(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The number of things waiting, as bare text for the navigation badge (htmx)."""
    count = sum(q.count for q in work_of(request.user))
    return render(request, "dashboards/inbox_count.html", {"count": count})


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What this user can do, grant by grant."""
    grants = list(request.user.grants.select_related("unit", "unit__type").order_by("unit__path"))
    return render(
        request,
        "dashboards/profile.html",
        {
            "grants": grants,
            "is_global": is_global(request.user),
            "role_actions": {role: sorted(actions) for role, actions in ROLE_ACTIONS.items()},
        },
    )
