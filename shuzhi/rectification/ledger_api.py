"""The ledger's reads through the API: the filtered list and a subtree's summary.

The list is mounted by ``api.py`` at GET /api/problems/ (next to POST /); this router
carries the summary.

Same filters, same scope and same capped count as the pages (:mod:`selectors`); a unit outside
the caller's scope answers 404.
"""

import datetime
from typing import Any

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from shuzhi.core import clock
from shuzhi.orgs.tree.models import Unit

from . import policies, selectors

router = Router(tags=["问题整改"])


class LedgerPageOut(Schema):
    """A page of the ledger (its own name in the schema)."""

    items: list[Any]
    count: int | None
    count_capped: bool
    next: bool


class CappedLedgerPagination(LimitOffsetPagination):
    """Limit/offset pages whose ``count`` is exact up to 10,000 (``count_capped`` past it);
    ``next`` tells whether more items follow this page.

    A text search (``q``) is not counted: ``count`` is ``null`` and ``next`` alone tells
    whether to ask for more — its count would cost more than the page (see ``selectors``).
    """

    Output = LedgerPageOut  # type: ignore[assignment]  # any Schema with the page fields

    def paginate_queryset(self, queryset, pagination, request, **params):
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        # One id more than the page tells whether another page follows, without counting.
        items, has_next = selectors.page_rows_ahead(queryset, offset, limit)
        filters = params.get("filters")
        if filters is not None and filters.q.split():
            return {"items": items, "count": None, "count_capped": False, "next": has_next}
        counted = queryset.order_by().values("year")[: selectors.COUNT_CAP + 1].count()
        return {
            "items": items,
            "count": min(counted, selectors.COUNT_CAP),
            "count_capped": counted > selectors.COUNT_CAP,
            "next": has_next,
        }


class LedgerQuery(Schema):
    year: int | None = None
    source: str = ""
    status: str = ""
    severity: str = ""
    overdue: bool = False
    unit: str = ""  # a unit code: its subtree
    q: str = ""
    responsible: str = ""
    order: str = "new"


class ProblemRow(Schema):
    id: int
    year: int
    serial: int
    unit_id: int
    unit_name: str
    unit_code: str
    description: str
    source: str
    source_name: str
    severity: str
    responsible_leader_name: str
    responsible_person_name: str
    responsible_department: str
    measures: str
    deadline: datetime.date | None
    status: str
    overdue: bool

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_source(obj) -> str:
        return obj.source.code

    @staticmethod
    def resolve_source_name(obj) -> str:
        return obj.source.name

    @staticmethod
    def resolve_overdue(obj, context) -> bool:
        return obj.is_overdue(clock.today())


def _unit(request, code: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not policies.may_view_unit(request.auth, unit):
        raise Http404
    return unit


# GET /api/problems/ — registered by ``api.py`` on the router that also answers POST /: ninja
# serves one path of a prefix from one router (a second router's "/" would never be reached).
@paginate(CappedLedgerPagination)
def list_problems(request, filters: Query[LedgerQuery]):
    """Problems in scope, newest first (``order``: new | deadline | unit), with the filters of
    the ledger page; ``unit`` is a unit code and selects its subtree. ``count`` stops at
    10,000 (``count_capped`` tells); with ``q`` it is ``null`` (not counted) and ``next``
    tells whether more items follow."""
    unit = _unit(request, filters.unit.strip()) if filters.unit.strip() else None
    return selectors.ledger_queryset(
        request.auth,
        selectors.LedgerFilters(
            year=filters.year,
            source=filters.source,
            status=filters.status,
            severity=filters.severity,
            overdue=filters.overdue,
            unit=unit,
            q=filters.q.strip()[:100],
            responsible=filters.responsible.strip()[:50],
            order=filters.order,
        ),
    )


class Count(Schema):
    code: str
    name: str
    count: int


class ChildOut(Schema):
    unit_id: int
    unit_code: str
    unit_name: str
    own: bool
    total: int
    closed: int
    overdue: int
    rate: float | None


class LedgerSummaryOut(Schema):
    unit_id: int
    unit_code: str
    year: int
    total: int
    closed: int
    overdue: int
    rate: float | None
    rate_definition: str
    by_source: list[Count]
    by_status: list[Count]
    by_severity: list[Count]
    by_child: list[ChildOut]
    reports: dict[str, int]


@router.get("/summary", response=LedgerSummaryOut)
def summary(request, unit: str = "", year: int | None = None, round: int | None = None):
    """Counts of a subtree's problems in ``year`` (default this year) by source, status,
    severity and direct child, overdue items, the rectification rate, and the reports of the
    subtree by status. ``unit`` is a unit code (default: the top of the caller's scope)."""
    if unit.strip():
        chosen = _unit(request, unit.strip())
    else:
        found = selectors.default_unit(request.auth)
        if found is None:
            raise Http404
        chosen = found
    data = selectors.subtree_summary(
        request.auth, chosen, year=year or clock.today().year, round_id=round
    )
    return {
        "unit_id": chosen.pk,
        "unit_code": chosen.code,
        "year": data.year,
        "total": data.total,
        "closed": data.closed,
        "overdue": data.overdue,
        "rate": data.rate,
        "rate_definition": "整改率 = 已销号的问题数 ÷ 本年度全部问题数 × 100%",
        "by_source": [{"code": s.code, "name": s.name, "count": n} for s, n in data.by_source],
        "by_status": [{"code": v, "name": label, "count": n} for v, label, n in data.by_status],
        "by_severity": [{"code": v, "name": label, "count": n} for v, label, n in data.by_severity],
        "by_child": [
            {
                "unit_id": r.unit.pk,
                "unit_code": r.unit.code,
                "unit_name": r.unit.name,
                "own": r.own,
                "total": r.total,
                "closed": r.closed,
                "overdue": r.overdue,
                "rate": r.rate,
            }
            for r in data.by_child
        ],
        "reports": data.reports,
    }
