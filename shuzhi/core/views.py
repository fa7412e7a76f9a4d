"""The audit search and the history of one object (the home page: ``shuzhi.dashboards``).

Audit pages follow the convention of docs/permissions.md: a user without ``audit.view``
anywhere gets 403; an object whose history they may not see answers 404, like a missing one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import policies, selectors

AUDIT_PAGE_SIZE = 50


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the history of everything in the user's scope by actor, object and date."""
    if not policies.may_search_audit(request.user):
        raise PermissionDenied("您没有查询操作记录的权限。")
    form = selectors.AuditSearchForm(request.GET or None)
    entries = selectors.audit_entries_visible_to(request.user)
    if form.is_bound and form.is_valid():
        entries = selectors.filter_audit(entries, **form.cleaned_data)
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/audit_search.html", {"form": form, "page": page})


@login_required
def audit_object(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    """Every recorded change of one object, if the user may see that object's scope."""
    entries = selectors.object_history(request.user, object_type, object_id)
    if entries is None:
        raise Http404("没有找到该对象的操作记录。")
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    label = next((e.object_label for e in page.object_list if e.object_label), object_id)
    return render(
        request,
        "core/audit_object.html",
        {"page": page, "object_type": object_type, "object_id": object_id, "label": label},
    )
