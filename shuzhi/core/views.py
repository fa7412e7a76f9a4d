"""The home page and the audit search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shuzhi.accounts.roles import ROLE_ACTIONS
from shuzhi.accounts.scope import is_global

from . import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What this user can do, grant by grant."""
    grants = list(request.user.grants.select_related("unit", "unit__type").order_by("unit__path"))
    return render(
        request,
        "core/home.html",
        {
            "grants": grants,
            "is_global": is_global(request.user),
            "role_actions": {role: sorted(actions) for role, actions in ROLE_ACTIONS.items()},
        },
    )


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the history of everything in the user's scope by actor, object and date."""
    form = selectors.AuditSearchForm(request.GET or None)
    entries = selectors.audit_entries_visible_to(request.user)
    if form.is_valid():
        entries = selectors.filter_audit(entries, **form.cleaned_data)
    page = Paginator(entries.select_related(None), 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_search.html", {"form": form, "page": page})
