"""Assessment API, mounted at /api/assessment.

Same policies as the pages: lists are scoped, a set outside scope answers 404, a visible set the
caller may not change answers 403, and a service's ValidationError becomes a 422 with Chinese
messages per field (a refused 留痕 item answers 422 with the rule cited under ``name``).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from shuzhi.assessment.indicators import governance, selectors, services
from shuzhi.assessment.indicators.models import (
    Adjustment,
    GovernancePolicy,
    IndicatorItem,
    IndicatorSet,
    SetStatus,
)
from shuzhi.assessment.indicators.policies import CHANGE, applies_to, can_view_unit_scores
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit, UnitType

router = Router(tags=["考核"])
GRID_PAGE_SIZE = 50


CLASSIFY_MAX_ITEMS = 500


class IndicatorUnitRef(Schema):
    id: int
    code: str
    name: str


class ItemOut(Schema):
    id: int
    code: str
    name: str
    description: str
    max_points: Decimal
    scoring_guide: str
    kind: str
    source: str
    source_params: dict
    derived_from_id: int | None
    sort_order: int
    override_reason: str


class SetOut(Schema):
    id: int
    host: IndicatorUnitRef
    year: int
    assessed_type: str
    title: str
    status: str
    parent_set_id: int | None

    @staticmethod
    def resolve_assessed_type(obj) -> str:
        return obj.assessed_type.code


class FindingOut(Schema):
    code: str
    title: str
    severity: str
    message: str
    rule: str
    item_id: int | None
    other_set_id: int | None
    details: dict

    @staticmethod
    def resolve_title(obj) -> str:
        return governance.CHECKS[obj.code]["title"]


class SetDetailOut(SetOut):
    items: list[ItemOut]
    findings: list[FindingOut]
    limits: dict


class SetIn(Schema):
    host_code: str
    year: int
    assessed_type: str
    title: str = ""


class DeriveIn(Schema):
    host_code: str
    title: str = ""
    keep: dict[int, Decimal | None] | None = None


class SetPatch(Schema):
    title: str | None = None
    status: str | None = None


class ItemIn(Schema):
    code: str
    name: str
    max_points: Decimal
    description: str = ""
    scoring_guide: str = ""
    kind: str = "outcome"
    source: str = "manual"
    source_params: dict = {}
    derived_from_id: int | None = None
    override_reason: str = ""


class ItemPatch(Schema):
    code: str | None = None
    name: str | None = None
    max_points: Decimal | None = None
    description: str | None = None
    scoring_guide: str | None = None
    kind: str | None = None
    source: str | None = None
    source_params: dict | None = None
    override_reason: str | None = None


class IndicatorCheckIn(Schema):
    name: str
    description: str = ""
    scoring_guide: str = ""
    kind: str = "outcome"


class ClassifyItemIn(Schema):
    name: str
    scoring_guide: str = ""


class ClassifyIn(Schema):
    items: list[ClassifyItemIn]


class ClassifyOut(Schema):
    name: str
    verdict: str
    measures: str
    message: str
    words: list[str]
    rewording: str


class PreviewOut(Schema):
    severity: str
    message: str
    rule: str


class CellOut(Schema):
    item_id: int
    points: Decimal | None
    self_points: Decimal | None
    automatic: bool


class IndicatorRowOut(Schema):
    unit: IndicatorUnitRef
    cells: list[CellOut]
    bonus: Decimal
    deduction: Decimal
    pending: int
    total: Decimal
    self_total: Decimal
    self_submitted: bool


class GridOut(Schema):
    count: int
    page: int
    pages: int
    rows: list[IndicatorRowOut]


class ScoreEntry(Schema):
    item_id: int
    points: Decimal | None = None
    note: str = ""


class ScoresIn(Schema):
    entries: list[ScoreEntry]
    submit: bool = False


class AdjustmentIn(Schema):
    kind: str
    points: Decimal
    reason: str


class AdjustmentOut(Schema):
    id: int
    unit_id: int
    kind: str
    points: Decimal
    reason: str
    status: str
    requested_by_id: int | None
    approver_id: int | None
    decision_note: str

    @staticmethod
    def resolve_unit_id(obj) -> int:
        return obj.annual.unit_id


class IndicatorDecideIn(Schema):
    approve: bool
    note: str = ""


def _set(user, pk: int, *, change: bool = False) -> IndicatorSet:
    return load(
        IndicatorSet.objects.select_related("host", "assessed_type", "parent_set__host"),
        user,
        CHANGE if change else None,
        denied="您没有权限修改该考核指标体系。",
        pk=pk,
    )


def _detail(indicator_set: IndicatorSet) -> IndicatorSet:
    """The set itself: its ``items`` and ``findings`` managers serialise as lists."""
    return indicator_set


def _host(user, code: str) -> Unit:
    host = Unit.objects.visible_to(user).filter(code=(code or "").strip()).first()
    if host is None:
        raise ValidationError({"host_code": "找不到该组织代码，或您无权查看该组织。"})
    return host


@router.get("/sets", response=list[SetOut])
@paginate
def list_sets(request, q: str = "", year: int | None = None, status: str = ""):
    """Sets in the caller's scope; filter by host name/code or title, year and status."""
    return selectors.set_list(request.auth, text=q.strip(), year=year, status=status)


@router.post("/sets", response={201: SetDetailOut})
def create_set(request, payload: SetIn):
    unit_type = UnitType.objects.filter(code=payload.assessed_type).first()
    if unit_type is None:
        raise ValidationError({"assessed_type": "考核对象类型不存在。"})
    indicator_set = services.create_set(
        actor=request.auth,
        host=_host(request.auth, payload.host_code),
        year=payload.year,
        assessed_type=unit_type,
        title=payload.title,
    )
    return Status(201, _detail(_set(request.auth, indicator_set.pk)))


@router.get("/sets/{set_id}", response=SetDetailOut)
def get_set(request, set_id: int):
    return _detail(_set(request.auth, set_id))


@router.patch("/sets/{set_id}", response=SetDetailOut)
def patch_set(request, set_id: int, payload: SetPatch):
    """Rename a draft set, or publish it with ``{"status": "published"}``."""
    indicator_set = _set(request.auth, set_id, change=True)
    if payload.title is not None:
        services.update_set(actor=request.auth, indicator_set=indicator_set, title=payload.title)
    if payload.status is not None:
        if payload.status != SetStatus.PUBLISHED:
            raise ValidationError({"status": "只能把草稿发布（published）。"})
        services.publish_set(actor=request.auth, indicator_set=indicator_set)
    return _detail(_set(request.auth, set_id))


@router.post("/sets/{set_id}/derive", response={201: SetDetailOut})
def derive(request, set_id: int, payload: DeriveIn):
    parent = _set(request.auth, set_id)
    child, _skipped = services.derive_set(
        actor=request.auth,
        parent=parent,
        host=_host(request.auth, payload.host_code),
        title=payload.title,
        keep=payload.keep,
    )
    return Status(201, _detail(_set(request.auth, child.pk)))


@router.get("/sets/{set_id}/governance", response=list[FindingOut])
def get_governance(request, set_id: int):
    """The stored findings of the last check (re-run on every save)."""
    return list(_set(request.auth, set_id).findings.all())


@router.post("/sets/{set_id}/check-item", response=list[PreviewOut])
def check_item(request, set_id: int, payload: IndicatorCheckIn):
    """The 留痕 check of an item before it is added; nothing is saved."""
    findings = services.preview_item(
        indicator_set=_set(request.auth, set_id),
        name=payload.name,
        description=payload.description,
        scoring_guide=payload.scoring_guide,
        kind=payload.kind,
    )
    return [{"severity": f.severity, "message": f.message, "rule": f.rule} for f in findings]


@router.post("/classify", response=list[ClassifyOut])
def classify_items(request, payload: ClassifyIn):
    """What each item measures (traces, app usage or outcomes) and whether it would be refused,
    under the default policy; nothing is stored. The same as ``manage.py check_indicators``."""
    if len(payload.items) > CLASSIFY_MAX_ITEMS:
        raise ValidationError({"items": f"一次最多检查 {CLASSIFY_MAX_ITEMS} 项指标。"})
    return [governance.explain_row(row.name, row.scoring_guide) for row in payload.items]


@router.post("/sets/{set_id}/items", response={201: ItemOut})
def add_item(request, set_id: int, payload: ItemIn):
    indicator_set = _set(request.auth, set_id, change=True)
    data = payload.dict()
    derived_id = data.pop("derived_from_id")
    derived = None
    if derived_id is not None:
        derived = IndicatorItem.objects.filter(
            pk=derived_id, set_id=indicator_set.parent_set_id
        ).first()
        if derived is None:
            raise ValidationError({"derived_from": "只能从上级指标体系中的指标派生。"})
    item = services.add_item(
        actor=request.auth, indicator_set=indicator_set, derived_from=derived, **data
    )
    return Status(201, item)


def _item(user, item_id: int) -> IndicatorItem:
    item = get_object_or_404(IndicatorItem.objects.select_related("set__host"), pk=item_id)
    _set(user, item.set_id, change=True)
    return item


@router.patch("/items/{item_id}", response=ItemOut)
def patch_item(request, item_id: int, payload: ItemPatch):
    item = _item(request.auth, item_id)
    fields = {k: v for k, v in payload.dict().items() if v is not None}
    return services.update_item(actor=request.auth, item=item, **fields)


@router.delete("/items/{item_id}", response={204: None})
def delete_item(request, item_id: int):
    services.remove_item(actor=request.auth, item=_item(request.auth, item_id))
    return Status(204, None)


def _row(row) -> dict:
    return {
        "unit": row.unit,
        "cells": [
            {
                "item_id": c.item.pk,
                "points": c.points,
                "self_points": c.self_points,
                "automatic": c.automatic,
            }
            for c in row.cells
        ],
        "bonus": row.bonus,
        "deduction": row.deduction,
        "pending": row.pending,
        "total": row.total,
        "self_total": row.self_total,
        "self_submitted": row.self_submitted,
    }


@router.get("/sets/{set_id}/grid", response=GridOut)
def grid(request, set_id: int, page: int = 1, q: str = ""):
    """Units × items with totals, ``GRID_PAGE_SIZE`` units a page."""
    indicator_set = _set(request.auth, set_id)
    paginator = Paginator(selectors.units_of(indicator_set, q.strip()), GRID_PAGE_SIZE)
    current = paginator.get_page(page)
    rows = selectors.grid(indicator_set, list(current))
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "rows": [_row(r) for r in rows],
    }


def _unit_of(request, set_id: int, unit_id: int) -> tuple[IndicatorSet, Unit]:
    indicator_set = selectors.set_or_none(set_id)
    unit = Unit.objects.filter(pk=unit_id).first()
    if (
        indicator_set is None
        or unit is None
        or not applies_to(indicator_set, unit)
        or not can_view_unit_scores(request.auth, indicator_set, unit)
    ):
        raise Http404
    return indicator_set, unit


@router.get("/sets/{set_id}/units/{unit_id}", response=IndicatorRowOut)
def unit_sheet(request, set_id: int, unit_id: int):
    indicator_set, unit = _unit_of(request, set_id, unit_id)
    return _row(selectors.grid(indicator_set, [unit])[0])


@router.put("/sets/{set_id}/units/{unit_id}/self", response=IndicatorRowOut)
def put_self(request, set_id: int, unit_id: int, payload: ScoresIn):
    """The unit's self scores (``note`` per item); ``submit`` hands them to the host."""
    indicator_set, unit = _unit_of(request, set_id, unit_id)
    services.save_self_scores(
        actor=request.auth,
        indicator_set=indicator_set,
        unit=unit,
        entries={e.item_id: {"points": e.points, "note": e.note} for e in payload.entries},
        submit=payload.submit,
    )
    return _row(selectors.grid(indicator_set, [unit])[0])


@router.put("/sets/{set_id}/units/{unit_id}/host", response=IndicatorRowOut)
def put_host(request, set_id: int, unit_id: int, payload: ScoresIn):
    """The host's scores (``note`` is the scoring comment)."""
    indicator_set, unit = _unit_of(request, set_id, unit_id)
    services.save_host_scores(
        actor=request.auth,
        indicator_set=indicator_set,
        unit=unit,
        entries={e.item_id: {"points": e.points, "comment": e.note} for e in payload.entries},
    )
    return _row(selectors.grid(indicator_set, [unit])[0])


@router.get("/sets/{set_id}/adjustments", response=list[AdjustmentOut])
@paginate
def list_adjustments(request, set_id: int, status: str = ""):
    indicator_set = _set(request.auth, set_id)
    rows = Adjustment.objects.filter(annual__set=indicator_set).select_related("annual")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-requested_at", "-id")


@router.post("/sets/{set_id}/units/{unit_id}/adjustments", response={201: AdjustmentOut})
def add_adjustment(request, set_id: int, unit_id: int, payload: AdjustmentIn):
    indicator_set, unit = _unit_of(request, set_id, unit_id)
    adjustment = services.request_adjustment(
        actor=request.auth,
        indicator_set=indicator_set,
        unit=unit,
        kind=payload.kind,
        points=payload.points,
        reason=payload.reason,
    )
    return Status(201, adjustment)


@router.post("/adjustments/{adjustment_id}/decide", response=AdjustmentOut)
def decide(request, adjustment_id: int, payload: IndicatorDecideIn):
    adjustment = get_object_or_404(
        Adjustment.objects.select_related("annual__set__host"), pk=adjustment_id
    )
    _set(request.auth, adjustment.annual.set_id)
    return services.decide_adjustment(
        actor=request.auth, adjustment=adjustment, approve=payload.approve, note=payload.note
    )


class PolicyOut(Schema):
    unit: IndicatorUnitRef
    override: dict
    effective: dict
    explanations: dict


class PolicyIn(Schema):
    data: dict


def _policy_out(unit: Unit) -> dict:
    row = GovernancePolicy.objects.filter(unit=unit).first()
    return {
        "unit": unit,
        "override": row.data if row else {},
        "effective": services.effective_policy(unit),
        "explanations": {
            code: {"title": c["title"], "explain": c["explain"], "rule": c["rule"]}
            for code, c in governance.CHECKS.items()
        },
    }


@router.get("/policy/{unit_code}", response=PolicyOut)
def get_policy(request, unit_code: str):
    """The governance policy that applies to sets hosted at the unit: the defaults with every
    override on it or above it laid over them, and the unit's own override."""
    unit = load(Unit, request.auth, view="round.view", code=unit_code)
    return _policy_out(unit)


@router.put("/policy/{unit_code}", response=PolicyOut)
def put_policy(request, unit_code: str, payload: PolicyIn):
    """Override the policy for the unit's subtree (set from above: ``round.change`` on the
    unit's parent)."""
    unit = load(Unit, request.auth, view="round.view", code=unit_code)
    services.set_governance_policy(actor=request.auth, unit=unit, data=payload.data)
    return _policy_out(unit)
