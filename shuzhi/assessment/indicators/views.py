"""Pages for indicator sets and annual scores, mounted at /assessment/.

A set outside the reader's scope answers 404; a visible set the reader may not change answers
403 on change pages. The set editor re-renders its items and the live governance report through
htmx after each change; writes go through :mod:`services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuzhi.assessment.indicators import forms, governance, selectors, services
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentStatus,
    AnnualScore,
    IndicatorItem,
    IndicatorSet,
    ScoreEvidence,
    SetStatus,
)
from shuzhi.assessment.indicators.policies import (
    CHANGE,
    applies_to,
    can_self_score,
    can_set,
    can_view_unit_scores,
    may_define_sets,
)
from shuzhi.core.files import serve_file
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

PAGE_SIZE = 30
GRID_PAGE_SIZE = 25


def _visible(request: HttpRequest, pk: int, action: str | None = None) -> IndicatorSet:
    return load(
        IndicatorSet.objects.select_related("host", "assessed_type", "parent_set__host"),
        request.user,
        action,
        not_found="考核指标体系不存在或不在您的查看范围内。",
        denied="您没有权限修改该考核指标体系。",
        pk=pk,
    )


def _changeable(request: HttpRequest, pk: int) -> IndicatorSet:
    return _visible(request, pk, CHANGE)


def _detail(indicator_set: IndicatorSet):
    return redirect(reverse("assessment_set_detail", args=[indicator_set.pk]))


@login_required
def set_list(request: HttpRequest) -> HttpResponse:
    """Sets in the reader's scope by year and host, and the sets their own unit self-scores."""
    form = forms.SetSearchForm(request.GET or None)
    text, year, status = "", None, ""
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        year, status = form.cleaned_data["year"], form.cleaned_data["status"]
    sets = selectors.set_list(request.user, text=text, year=year, status=status)
    page = Paginator(sets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/set_list.html",
        {
            "form": form,
            "page": page,
            "q": text,
            "year": year,
            "may_create": may_define_sets(request.user),
            "to_self_score": selectors.sets_to_self_score(request.user),
        },
    )


@login_required
def set_create(request: HttpRequest) -> HttpResponse:
    if not may_define_sets(request.user):
        raise PermissionDenied("您没有权限制定考核指标。")
    form = forms.SetCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        host = (
            Unit.objects.visible_to(request.user)
            .filter(code=form.cleaned_data["host_code"].strip())
            .first()
        )
        if host is None:
            form.add_error("host_code", "找不到该组织代码，或您无权查看该组织。")
        else:
            try:
                indicator_set = services.create_set(
                    actor=request.user,
                    host=host,
                    year=form.cleaned_data["year"],
                    assessed_type=form.cleaned_data["assessed_type"],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("host_code", str(exc))
            else:
                messages.success(request, f"已创建“{indicator_set.title}”，请添加指标。")
                return _detail(indicator_set)
    return render(request, "assessment/set_create.html", {"form": form})


def _editor_context(request: HttpRequest, indicator_set: IndicatorSet, item_form=None) -> dict:
    parent_items = (
        list(indicator_set.parent_set.items.order_by("sort_order", "id"))
        if indicator_set.parent_set
        else None
    )
    can_change = can_set(request.user, CHANGE, indicator_set) and not indicator_set.is_locked
    return {
        "set": indicator_set,
        "items": selectors.items_of(indicator_set),
        "findings": list(indicator_set.findings.select_related("item", "other_set")),
        "checks": governance.CHECKS,
        "can_change": can_change,
        "can_score": can_set(request.user, CHANGE, indicator_set) and indicator_set.is_locked,
        "item_form": item_form
        or (forms.ItemForm(parent_items=parent_items, prefix="item") if can_change else None),
        "limit": indicator_set.limits.get("max_items"),
    }


@login_required
def set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The set editor: items, the add-item form with a live 留痕 check, and the governance
    report, all re-rendered in place through htmx."""
    indicator_set = _visible(request, pk)
    return render(request, "assessment/set_detail.html", _editor_context(request, indicator_set))


def _editor_response(request: HttpRequest, indicator_set: IndicatorSet, item_form=None):
    if request.headers.get("HX-Request"):
        return render(
            request,
            "assessment/_editor.html",
            _editor_context(request, indicator_set, item_form),
        )
    if item_form is not None:
        return render(
            request,
            "assessment/set_detail.html",
            _editor_context(request, indicator_set, item_form),
        )
    return _detail(indicator_set)


def _parent_items(indicator_set: IndicatorSet):
    if not indicator_set.parent_set_id:
        return None
    return list(IndicatorItem.objects.filter(set_id=indicator_set.parent_set_id))


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    indicator_set = _changeable(request, pk)
    parents = _parent_items(indicator_set)
    form = forms.ItemForm(request.POST, parent_items=parents, prefix="item")
    if form.is_valid():
        data = form.service_fields()
        derived = data.pop("derived_from", None)
        try:
            services.add_item(
                actor=request.user,
                indicator_set=indicator_set,
                derived_from=next((p for p in parents or [] if p.pk == derived), None),
                **data,
            )
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            indicator_set.refresh_from_db()
            return _editor_response(request, indicator_set)
    return _editor_response(request, indicator_set, form)


@login_required
@require_POST
def item_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The live 留痕 check of the item being typed; nothing is saved."""
    indicator_set = _visible(request, pk)
    findings = services.preview_item(
        indicator_set=indicator_set,
        name=request.POST.get("item-name", ""),
        description=request.POST.get("item-description", ""),
        scoring_guide=request.POST.get("item-scoring_guide", ""),
        kind=request.POST.get("item-kind", "outcome"),
    )
    return render(request, "assessment/_trace_preview.html", {"findings": findings})


@login_required
def item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    indicator_set = _changeable(request, pk)
    item = get_object_or_404(IndicatorItem, pk=item_pk, set=indicator_set)
    parents = _parent_items(indicator_set)
    initial = {
        "code": item.code,
        "name": item.name,
        "max_points": item.max_points,
        "kind": item.kind,
        "description": item.description,
        "scoring_guide": item.scoring_guide,
        "source": item.source,
        "per_item": item.source_params.get("per_item"),
        "derived_from": item.derived_from_id,
        "override_reason": item.override_reason,
    }
    form = forms.ItemForm(request.POST or None, initial=initial, parent_items=parents)
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        if parents is not None:
            derived = data.pop("derived_from", None)
            data["derived_from"] = next((p for p in parents if p.pk == derived), None)
        try:
            services.update_item(actor=request.user, item=item, **data)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return _detail(indicator_set)
    return render(
        request, "assessment/item_edit.html", {"set": indicator_set, "item": item, "form": form}
    )


@login_required
@require_POST
def item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    indicator_set = _changeable(request, pk)
    item = get_object_or_404(IndicatorItem, pk=item_pk, set=indicator_set)
    try:
        services.remove_item(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    indicator_set.refresh_from_db()
    return _editor_response(request, indicator_set)


@login_required
@require_POST
def set_publish(request: HttpRequest, pk: int) -> HttpResponse:
    indicator_set = _changeable(request, pk)
    try:
        services.publish_set(actor=request.user, indicator_set=indicator_set)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "已发布，可以开始评分。")
    return _detail(indicator_set)


@login_required
def set_derive(request: HttpRequest, pk: int) -> HttpResponse:
    """Derive a set for a lower host: keep (and lower the points of) or drop each item."""
    parent = _visible(request, pk)
    if not may_define_sets(request.user):
        raise PermissionDenied("您没有权限制定考核指标。")
    items = selectors.items_of(parent)
    errors: list[str] = []
    host_code = request.POST.get("host_code", "").strip()
    title = request.POST.get("title", "").strip()
    if request.method == "POST":
        keep = {}
        for item in items:
            if request.POST.get(f"keep_{item.pk}"):
                keep[item.pk] = request.POST.get(f"points_{item.pk}", "").strip() or None
        host = Unit.objects.visible_to(request.user).filter(code=host_code).first()
        if host is None:
            errors.append("找不到该组织代码，或您无权查看该组织。")
        else:
            try:
                child, skipped = services.derive_set(
                    actor=request.user, parent=parent, host=host, title=title, keep=keep
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            except PermissionDenied as exc:
                errors.append(str(exc))
            else:
                if skipped:
                    messages.warning(request, "以下留痕指标未继承：" + "、".join(skipped))
                messages.success(request, f"已派生“{child.title}”。")
                return _detail(child)
    return render(
        request,
        "assessment/derive.html",
        {
            "parent": parent,
            "items": items,
            "errors": errors,
            "host_code": host_code,
            "title": title,
            "posted": request.POST if request.method == "POST" else None,
        },
    )


@login_required
def governance_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable governance report: each check, its explanation, the rule and findings."""
    indicator_set = _visible(request, pk)
    findings = list(indicator_set.findings.select_related("item", "other_set__host"))
    sections = [
        {
            "code": code,
            **entry,
            "findings": [f for f in findings if f.code == code],
        }
        for code, entry in governance.CHECKS.items()
    ]
    return render(
        request,
        "assessment/governance_report.html",
        {
            "set": indicator_set,
            "sections": sections,
            "item_count": indicator_set.items.count(),
            "errors": sum(1 for f in findings if f.severity == "error"),
        },
    )


@login_required
def score_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """Units × items with totals, a page of units at a time (large subtrees stay fast)."""
    indicator_set = _visible(request, pk)
    text = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.units_of(indicator_set, text), GRID_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    item_list = selectors.items_of(indicator_set)
    rows = selectors.grid(indicator_set, list(page), item_list)
    return render(
        request,
        "assessment/score_grid.html",
        {
            "set": indicator_set,
            "item_list": item_list,
            "rows": rows,
            "page": page,
            "q": text,
            "can_score": can_set(request.user, CHANGE, indicator_set),
        },
    )


def _unit_in_set(indicator_set: IndicatorSet, unit_pk: int) -> Unit:
    unit = get_object_or_404(Unit, pk=unit_pk)
    if not applies_to(indicator_set, unit):
        raise Http404("该组织不是本指标体系的考核对象。")
    return unit


def _entries(request: HttpRequest, items, note_field: str) -> dict[int, dict]:
    entries = {}
    for item in items:
        if item.is_automatic:
            continue
        key = f"points_{item.pk}"
        if key in request.POST:
            entries[item.pk] = {
                "points": request.POST.get(key, "").strip(),
                note_field: request.POST.get(f"{note_field}_{item.pk}", ""),
            }
    return entries


@login_required
def unit_score(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The host scores one unit item by item, beside the unit's self score and evidence, and
    proposes bonus or deduction items."""
    indicator_set = _changeable(request, pk)
    unit = _unit_in_set(indicator_set, unit_pk)
    errors: list[str] = []
    adjustment_form = forms.AdjustmentForm(prefix="adj")
    if request.method == "POST":
        items = selectors.items_of(indicator_set)
        try:
            if request.POST.get("action") == "adjust":
                adjustment_form = forms.AdjustmentForm(request.POST, prefix="adj")
                if adjustment_form.is_valid():
                    services.request_adjustment(
                        actor=request.user,
                        indicator_set=indicator_set,
                        unit=unit,
                        **adjustment_form.cleaned_data,
                    )
                    messages.success(request, "已提出加减分，待他人审批后计入。")
                    return redirect(request.path)
            else:
                services.save_host_scores(
                    actor=request.user,
                    indicator_set=indicator_set,
                    unit=unit,
                    entries=_entries(request, items, "comment"),
                )
                messages.success(request, f"已保存“{unit.name}”的评分。")
                return redirect(request.path)
        except ValidationError as exc:
            errors.extend(exc.messages)
            if request.POST.get("action") == "adjust":
                forms.apply_service_errors(adjustment_form, exc)
    return render(
        request,
        "assessment/unit_score.html",
        {
            **_sheet(indicator_set, unit),
            "errors": errors,
            "adjustment_form": adjustment_form,
            "posted": request.POST if errors else None,
        },
    )


def _sheet(indicator_set: IndicatorSet, unit: Unit) -> dict:
    row = selectors.grid(indicator_set, [unit])[0]
    evidence: dict[int, list[ScoreEvidence]] = {}
    for ev in ScoreEvidence.objects.filter(
        item_score__annual__set=indicator_set, item_score__annual__unit=unit
    ).select_related("item_score"):
        evidence.setdefault(ev.item_score.item_id, []).append(ev)
    for cell in row.cells:
        cell.evidence = evidence.get(cell.item.pk, [])  # type: ignore[attr-defined]
    adjustments = list(
        Adjustment.objects.filter(annual__set=indicator_set, annual__unit=unit).select_related(
            "requested_by", "approver"
        )
    )
    return {"set": indicator_set, "unit": unit, "row": row, "adjustments": adjustments}


@login_required
def self_score(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The unit scores itself; evidence is optional unless the host's policy requires it."""
    indicator_set = selectors.set_or_none(pk)
    if indicator_set is None or indicator_set.status != SetStatus.PUBLISHED:
        raise Http404
    unit = _unit_in_set(indicator_set, unit_pk)
    if not can_view_unit_scores(request.user, indicator_set, unit):
        raise Http404
    may_edit = can_self_score(request.user, unit)
    errors: list[str] = []
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只有本单位可以填写自评。")
        try:
            if "file" in request.FILES:
                item = get_object_or_404(
                    IndicatorItem, pk=request.POST.get("item") or 0, set=indicator_set
                )
                services.add_self_evidence(
                    actor=request.user,
                    indicator_set=indicator_set,
                    unit=unit,
                    item=item,
                    upload=request.FILES["file"],
                )
                messages.success(request, "已上传佐证材料。")
            else:
                services.save_self_scores(
                    actor=request.user,
                    indicator_set=indicator_set,
                    unit=unit,
                    entries=_entries(request, selectors.items_of(indicator_set), "note"),
                    submit=request.POST.get("action") == "submit",
                )
                messages.success(request, "自评已保存。")
            return redirect(request.path)
        except ValidationError as exc:
            errors.extend(exc.messages)
    return render(
        request,
        "assessment/self_score.html",
        {
            **_sheet(indicator_set, unit),
            "may_edit": may_edit,
            "errors": errors,
            "annual": AnnualScore.objects.filter(set=indicator_set, unit=unit).first(),
        },
    )


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    evidence = get_object_or_404(
        ScoreEvidence.objects.select_related(
            "item_score__annual__set__host", "item_score__annual__unit"
        ),
        pk=pk,
    )
    annual = evidence.item_score.annual
    if not can_view_unit_scores(request.user, annual.set, annual.unit):
        raise Http404
    return serve_file(evidence.file, evidence.name)


@login_required
def adjustments(request: HttpRequest, pk: int) -> HttpResponse:
    """Bonus and deduction items of a set: pending first, with approve / reject."""
    return _adjustments(request, _visible(request, pk))


def _adjustments(
    request: HttpRequest, indicator_set, refused: tuple[int, forms.DecideForm] | None = None
) -> HttpResponse:
    """The adjustments page; ``refused`` is a decision that was refused, whose typed note and
    errors are shown in its row (nothing typed is lost)."""
    status = request.GET.get("status", AdjustmentStatus.PENDING)
    rows = (
        Adjustment.objects.filter(annual__set=indicator_set)
        .select_related("annual__unit", "requested_by", "approver")
        .order_by("-requested_at", "-id")
    )
    if status in AdjustmentStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if refused is not None:
        for row in page:
            if row.pk == refused[0]:
                form = refused[1]
                row.typed = {  # type: ignore[attr-defined]
                    "note": form.data.get("note", ""),
                    "errors": [e for errors in form.errors.values() for e in errors],
                }
    return render(
        request,
        "assessment/adjustments.html",
        {
            "set": indicator_set,
            "page": page,
            "status": status,
            "statuses": AdjustmentStatus.choices,
            "can_decide": can_set(request.user, CHANGE, indicator_set),
        },
    )


@login_required
@require_POST
def adjustment_decide(request: HttpRequest, pk: int, adj_pk: int) -> HttpResponse:
    indicator_set = _changeable(request, pk)
    adjustment = get_object_or_404(Adjustment, pk=adj_pk, annual__set=indicator_set)
    form = forms.DecideForm(request.POST)
    if form.is_valid():
        try:
            services.decide_adjustment(
                actor=request.user,
                adjustment=adjustment,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "已审批。")
            return redirect(reverse("assessment_adjustments", args=[indicator_set.pk]))
    elif "decision" in form.errors:
        form.errors["decision"] = form.error_class(["请选择批准或不予批准。"])
    # Refused: the list again, the note as typed and the reason in the adjustment's row.
    messages.error(request, "未能审批，请按提示修改。")
    return _adjustments(request, indicator_set, refused=(adjustment.pk, form))
