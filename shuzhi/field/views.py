"""Field pages: a leader's year, the phone-friendly visit form, the contact-point form, and
the organisation department's overview (who covers what, which units nobody covers).

Anything outside the reader's sight answers 404; writes go through :mod:`services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from shuzhi.core import clock
from shuzhi.cycles.forms import apply_service_errors
from shuzhi.kernel.loader import require_anywhere
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification.models import NOT_CLOSED_STATUSES, Problem

from . import policies, selectors, services
from .forms import ContactPointForm, SearchForm, VisitForm
from .models import ContactPoint

PAGE_SIZE = 50
UNIT_CHOICES_CAP = 500
SOLVABLE_CAP = 30


def _own_leader(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("您的账号未关联人员信息，不能记录联系点和走访。")
    return person


def _unit_choices(leader: Person, year: int) -> list[tuple[int, str]]:
    """The leader's contact points first, then units in scope down to two levels below their
    posts (capped: a deeper unit is reached through its contact point)."""
    paths = policies.post_paths(leader, *policies.year_bounds(year))
    if not paths:
        raise PermissionDenied(f"{leader.name}在{year}年未担任书记或班子成员职务。")
    points = list(
        ContactPoint.objects.filter(leader=leader, year=year)
        .select_related("unit")
        .order_by("unit__path")
    )
    top = Unit.objects.filter(path__in=paths).values_list("depth", flat=True)
    deepest = max(top) + 2
    units = policies.scope_units(paths).filter(depth__lte=deepest).order_by("path")
    chosen = [(p.unit_id, f"{p.unit.name}（联系点）") for p in points]
    seen = {pk for pk, _ in chosen}
    for unit in units[:UNIT_CHOICES_CAP]:
        if unit.pk not in seen:
            chosen.append((unit.pk, unit.name))
    return chosen


def _solvable(leader: Person, year: int):
    """Open ledger items of the leader's contact points, newest first (a short list)."""
    paths = list(
        ContactPoint.objects.filter(leader=leader, year=year).values_list("unit__path", flat=True)
    )
    if not paths:
        return Problem.objects.none()
    q = Q()
    for path in paths:
        q |= Q(unit_path__startswith=path)
    ids = list(
        Problem.objects.filter(q, status__in=NOT_CLOSED_STATUSES)
        .order_by("-found_on", "-id")
        .values_list("pk", flat=True)[:SOLVABLE_CAP]
    )
    return Problem.objects.filter(pk__in=ids).select_related("unit").order_by("-found_on", "-id")


def _year_page(leader: Person, year: int) -> str:
    return reverse("field_leader_year", args=[leader.pk, year])


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in leader's current year."""
    return redirect(_year_page(_own_leader(request), clock.today().year))


@login_required
def leader_year(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """A leader's year: contact points, visits, Party lessons, problems found and solved."""
    leader = Person.objects.filter(pk=pk).select_related("unit").first()
    if leader is None or not policies.may_view_leader(request.user, leader):
        raise Http404("该人员不存在或不在您的查看范围内。")
    summary = selectors.leader_year(leader, year)
    return render(
        request,
        "field/leader_year.html",
        {"s": summary, "own": policies.is_self(request.user, leader)},
    )


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record one of one's own visits (phone first: one column, no script)."""
    leader = _own_leader(request)
    year = clock.today().year
    form = VisitForm(
        request.POST or None, units=_unit_choices(leader, year), solvable=_solvable(leader, year)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.get(pk=data["unit"])
        try:
            visit = services.record_visit(
                actor=request.user,
                leader=leader,
                unit=unit,
                visited_on=data["visited_on"],
                purpose=data["purpose"],
                note=data["note"],
                people_met=data["people_met"],
                problems_found=form.found_lines(),
                problems_solved=data["problems_solved"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已记录{visit.visited_on}对{unit.name}的走访。")
            return redirect(_year_page(leader, visit.year))
    return render(request, "field/visit_form.html", {"form": form, "leader": leader})


@login_required
def point_new(request: HttpRequest) -> HttpResponse:
    """Designate one of one's own contact points for the current year."""
    leader = _own_leader(request)
    year = clock.today().year
    form = ContactPointForm(request.POST or None, units=_unit_choices(leader, year))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            point = services.designate_contact_point(
                actor=request.user,
                leader=leader,
                unit=Unit.objects.get(pk=data["unit"]),
                year=year,
                reason=data["reason"],
                min_visits=data["min_visits"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已将{point.unit.name}确定为{year}年联系点。")
            return redirect(_year_page(leader, year))
    return render(request, "field/point_form.html", {"form": form, "leader": leader, "year": year})


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """联系点总览: who covers which unit and how often they went; or the units nobody covers."""
    require_anywhere(request.user, "field.view", "您没有权限查看联系点情况。")
    search = SearchForm(request.GET or None)
    q, year = "", clock.today().year
    if search.is_valid():
        q = search.cleaned_data["q"] or ""
        year = search.cleaned_data["year"] or year
    uncovered = request.GET.get("show") == "uncovered"
    rows = (
        selectors.uncovered_units(request.user, year=year, q=q)
        if uncovered
        else selectors.points_overview(request.user, year=year, q=q)
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "field/overview.html",
        {"search": search, "page": page, "year": year, "q": q, "uncovered": uncovered},
    )
