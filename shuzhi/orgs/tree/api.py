"""Organisation tree API: search and read units, their children and subtree counts; change them.

Reads go through ``Unit.objects.visible_to`` (a unit outside scope answers 404); writes call
:mod:`shuzhi.orgs.tree.services`, whose ``PermissionDenied`` answers 403 and whose Chinese
``ValidationError`` answers 422 with the messages per field (handlers in ``shuzhi.api``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from shuzhi.kernel.loader import load
from shuzhi.orgs.tree import selectors, services
from shuzhi.orgs.tree.models import Unit, UnitType

router = Router(tags=["组织"])

# Counting stops here: an exact count of a national tree costs more than the page itself.
COUNT_CAP = 10_000


class UnitPageOut(Schema):
    """A page of units (its own name in the schema)."""

    items: list[Any]
    count: int
    count_capped: bool


class CappedLimitOffset(LimitOffsetPagination):
    """Limit/offset pages whose ``count`` is exact up to :data:`COUNT_CAP`.

    Past the cap ``count`` is the cap and ``count_capped`` is true; narrow the search with
    ``q``, ``parent`` or ``type`` to get an exact count.
    """

    Output = UnitPageOut  # type: ignore[assignment]  # any Schema with the page fields

    def paginate_queryset(self, queryset, pagination, request, **params):
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        return {
            "items": queryset[offset : offset + limit],
            "count": min(counted, COUNT_CAP),
            "count_capped": counted > COUNT_CAP,
        }


class UnitTypeOut(Schema):
    code: str
    name: str
    level_label: str


class UnitBrief(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    type: UnitTypeOut
    parent_id: int | None
    depth: int
    path: str
    status: str
    status_date: datetime.date | None
    merged_into_id: int | None
    sort_order: int


class UnitDetailOut(UnitOut):
    ancestors: list[UnitBrief]


class TypeCount(Schema):
    type: UnitTypeOut
    count: int


class LevelCount(Schema):
    level_label: str
    count: int


class UnitSummaryOut(Schema):
    total: int
    by_type: list[TypeCount]
    by_level: list[LevelCount]


class UnitCreateIn(Schema):
    parent_id: int | None = None
    code: str
    name: str
    type: str
    short_name: str = ""
    sort_order: int = 0


class UnitPatchIn(Schema):
    code: str | None = None
    name: str | None = None
    short_name: str | None = None
    type: str | None = None
    sort_order: int | None = None


class MoveIn(Schema):
    new_parent_id: int


class MergeIn(Schema):
    into_id: int
    date: datetime.date


class DissolveIn(Schema):
    date: datetime.date
    reason: str = ""


def _visible(request, unit_id: int) -> Unit:
    return load(Unit.objects.select_related("type"), request.auth, pk=unit_id)


def _unit_type(code: str) -> UnitType:
    found = UnitType.objects.filter(code=code).first()
    if found is None:
        raise ValidationError({"type": f"没有代码为“{code}”的组织类型。"})
    return found


def _target(request, unit_id: int, field: str) -> Unit:
    """A unit named in the request body; a field error (not 404) when it is not in scope."""
    found = Unit.objects.visible_to(request.auth).filter(pk=unit_id).first()
    if found is None:
        raise ValidationError({field: "找不到该组织，或您无权查看它。"})
    return found


def _reloaded(unit_id: int) -> Unit:
    return Unit.objects.select_related("type").get(pk=unit_id)


@router.get("/", response=list[UnitOut])
@paginate(CappedLimitOffset)
def list_units(request, q: str = "", parent: int | None = None, type: str = ""):
    """Units in scope; ``q`` matches a code prefix or a part of the name.

    ``count`` stops at 10,000 (``count_capped`` tells); the items are in code order.
    """
    units = Unit.objects.visible_to(request.auth).select_related("type")
    if q.strip():
        text = q.strip()
        units = units.filter(Q(code__startswith=text) | Q(name__contains=text))
    if parent is not None:
        units = units.filter(parent_id=parent)
    if type:
        units = units.filter(type__code=type)
    # Code order is served by the unique index, so a page of a million units is cheap.
    return units.order_by("code")


@router.post("/", response={201: UnitOut})
def create_unit(request, payload: UnitCreateIn):
    """Create a unit under ``parent_id`` (a root without it: administrators only)."""
    parent = _visible(request, payload.parent_id) if payload.parent_id is not None else None
    unit = services.create_unit(
        actor=request.auth,
        parent=parent,
        code=payload.code,
        name=payload.name,
        type=_unit_type(payload.type),
        short_name=payload.short_name,
        sort_order=payload.sort_order,
    )
    return Status(201, _reloaded(unit.pk))


@router.get("/{int:unit_id}", response=UnitDetailOut)
def get_unit(request, unit_id: int):
    """One unit with its ancestors from the root down (read in one query from its path)."""
    unit = _visible(request, unit_id)
    by_pk = {u.pk: u for u in Unit.objects.filter(pk__in=unit.ancestor_ids).only("code", "name")}
    unit.ancestors = [by_pk[pk] for pk in unit.ancestor_ids if pk in by_pk]  # type: ignore[attr-defined]
    return unit


@router.patch("/{int:unit_id}", response=UnitOut)
def update_unit(request, unit_id: int, payload: UnitPatchIn):
    """Change the fields given; the others stay as they are."""
    unit = _visible(request, unit_id)
    data = payload.dict(exclude_unset=True)
    if data.get("type") is not None:
        data["type"] = _unit_type(data["type"])
    services.update_unit(actor=request.auth, unit=unit, **data)
    return _reloaded(unit.pk)


@router.get("/{int:unit_id}/children", response=list[UnitOut])
@paginate
def list_children(request, unit_id: int):
    """The children of a unit that the caller may see, in their display order."""
    unit = _visible(request, unit_id)
    return (
        Unit.objects.visible_to(request.auth)
        .filter(parent=unit)
        .select_related("type")
        .order_by("sort_order", "code")
    )


@router.get("/{int:unit_id}/summary", response=UnitSummaryOut)
def subtree_summary(request, unit_id: int):
    """Counts of the unit's subtree (itself included) by type and by level."""
    unit = _visible(request, unit_id)
    summary = selectors.subtree_summary(request.auth, unit)
    return {
        "total": summary.total,
        "by_type": [{"type": t, "count": n} for t, n in summary.by_type],
        "by_level": [{"level_label": level, "count": n} for level, n in summary.by_level],
    }


@router.post("/{int:unit_id}/move", response=UnitOut)
def move_unit(request, unit_id: int, payload: MoveIn):
    """Move the unit and its subtree under ``new_parent_id``."""
    unit = _visible(request, unit_id)
    new_parent = _target(request, payload.new_parent_id, "new_parent_id")
    services.move_unit(actor=request.auth, unit=unit, new_parent=new_parent)
    return _reloaded(unit.pk)


@router.post("/{int:unit_id}/merge", response=UnitOut)
def merge_unit(request, unit_id: int, payload: MergeIn):
    """Merge the unit into ``into_id`` on ``date``; its children move there."""
    unit = _visible(request, unit_id)
    into = _target(request, payload.into_id, "into_id")
    services.merge_unit(actor=request.auth, unit=unit, into=into, date=payload.date)
    return _reloaded(unit.pk)


@router.post("/{int:unit_id}/dissolve", response=UnitOut)
def dissolve_unit(request, unit_id: int, payload: DissolveIn):
    """Mark the unit dissolved on ``date``."""
    unit = _visible(request, unit_id)
    services.dissolve_unit(actor=request.auth, unit=unit, date=payload.date, reason=payload.reason)
    return _reloaded(unit.pk)
