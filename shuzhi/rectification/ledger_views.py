"""The read side of the ledger as pages: the filtered list, an organiser's subtree summary with
charts, a unit's public board (晒清单 / 晒进度) and a secretary's own work.

Views stay thin: :mod:`ledger_forms` reads the filters, :mod:`selectors` reads through the
policies. A unit outside the user's scope answers 404.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from shuzhi.core import clock
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

from . import ledger_export_jobs, policies, selectors
from .ledger_forms import LedgerFilterForm, year_choices
from .models import ProblemStatus
from .policies import can_view_sources, may_carry_over_somewhere

BOARD_PAGE_SIZE = 50


UNIT_NOT_FOUND = "组织不存在或不在您的查看范围内。"


def _year(request: HttpRequest) -> int:
    """The ``year`` parameter, or this year when missing or not a sensible year."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return clock.today().year
    return year if 2000 <= year <= 2100 else clock.today().year


def _unit_by_code(user, code: str) -> Unit:
    return load(Unit, user, view="problem.view", not_found=UNIT_NOT_FOUND, code=code)


def _mark_overdue(rows, today) -> list:
    """Evaluate a page's rows and mark the overdue ones (逾期 is derived, never stored)."""
    rows = list(rows)
    for row in rows:
        row.late = row.is_overdue(today)
    return rows


def _without_page(query: QueryDict) -> str:
    """The list's filters as a query string for the export (the page number does not apply)."""
    params = query.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def ledger_list(request: HttpRequest) -> HttpResponse:
    """整改台账: the problems in the user's scope with filters, search and capped pagination
    (a text search is not counted: 第 N 页 with 上一页 / 下一页, see ``selectors``)."""
    form = LedgerFilterForm(request.GET, user=request.user)
    filters = form.filters()
    page = selectors.ledger_page(request.user, filters, request.GET.get("page"))
    counted = not isinstance(page, selectors.UncountedPage)
    today = clock.today()
    page.object_list = _mark_overdue(page.object_list, today)
    return render(
        request,
        "rectification/ledger_list.html",
        {
            "form": form,
            "page": page,
            "counted": counted,
            "capped": counted and page.paginator.capped,
            "cap": selectors.COUNT_CAP,
            "has_scope": policies.may_view_somewhere(request.user),
            # The scopes are read once per request and cached on the user: no extra queries.
            "may_create": policies.may_create_somewhere(request.user),
            "may_import": policies.may_import_ledger(request.user),
            # The same gates as the source list and the rollover page themselves.
            "may_view_sources": can_view_sources(request.user),
            "may_carry_over": may_carry_over_somewhere(request.user),
            "export_query": _without_page(request.GET),
            # Exports too large for a request, built in the background: progress, then a link.
            "background_exports": ledger_export_jobs.stored_exports(cast(int, request.user.pk))[:5],
            # Shown on the phone's 筛选 toggle so folded filters are not forgotten.
            "active_filters": len(
                [
                    key
                    for key, value in request.GET.items()
                    if key != "page" and isinstance(value, str) and value.strip()
                ]
            ),
        },
    )


@login_required
def ledger_summary(request: HttpRequest) -> HttpResponse:
    """The organiser's summary of one unit's subtree for a year, with charts."""
    code = request.GET.get("unit", "").strip()
    unit = _unit_by_code(request.user, code) if code else selectors.default_unit(request.user)
    year = _year(request)
    summary = None
    if unit is not None:
        try:
            round_id = int(request.GET.get("round", "")) or None
        except ValueError:
            round_id = None
        summary = selectors.subtree_summary(request.user, unit, year=year, round_id=round_id)
    return render(
        request,
        "rectification/ledger_summary.html",
        {
            "unit": unit,
            "year": year,
            "years": year_choices()[1:],
            "summary": summary,
            "chart_data": summary.chart_data() if summary else None,
        },
    )


@login_required
def problem_board(request: HttpRequest, unit_id: int) -> HttpResponse:
    """晒清单 / 晒进度: a unit's own items of a year and their progress, read-only."""
    unit = load(Unit, request.user, view="problem.view", not_found=UNIT_NOT_FOUND, pk=unit_id)
    year = _year(request)
    rows = selectors.board_rows(unit, year=year)
    page = Paginator(rows, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _mark_overdue(page.object_list, clock.today())
    return render(
        request,
        "rectification/board_unit.html",
        {
            "unit": unit,
            "year": year,
            "years": year_choices()[1:],
            "counts": selectors.board_counts(unit, year=year),
            "page": page,
            "today": clock.today(),
        },
    )


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """A secretary's own work: the unit's lists, report, critiques and what is due next."""
    units = [u for u in selectors.my_units(request.user) if policies.may_view_unit(request.user, u)]
    chosen = units[0] if units else None
    wanted = request.GET.get("unit", "")
    for unit in units:
        if str(unit.pk) == wanted:
            chosen = unit
    year = _year(request)
    work = selectors.my_work(chosen, year=year) if chosen is not None else None
    # Only the person who writes the unit's report calls it "my report"; an inspector or a
    # viewer of the same unit sees the unit's report under the unit's name.
    own_report = chosen is not None and policies.writes_report_of(request.user, chosen)
    return render(
        request,
        "rectification/dashboard_mine.html",
        {
            "units": units,
            "work": work,
            "own_report": own_report,
            "year": year,
            "years": year_choices()[1:],
            "today": clock.today(),
            "closed": ProblemStatus.CLOSED,
        },
    )
