"""Pages for the organisation tree."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Unit


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/unit_tree.html", {})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=pk)
    return render(request, "orgs/unit_detail.html", {"unit": unit})
