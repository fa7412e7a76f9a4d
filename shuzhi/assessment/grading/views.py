"""Pages of 综合评定, mounted at /assessment/grading/.

A round whose host is out of the reader's sight answers 404; a visible round whose grading the
reader may not see or change answers 403. Every number on the grading page opens its
derivation (htmx fills the panel; without JavaScript the link opens it as a page). Writes go
through :mod:`grading.services`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuzhi.assessment.grading import composite, explain
from shuzhi.assessment.grading import forms as grading_forms
from shuzhi.assessment.grading import selectors as grading_selectors
from shuzhi.assessment.grading import services as grading_services
from shuzhi.assessment.grading.models import GradeRow, Grading, GradingStatus
from shuzhi.assessment.grading.policies import (
    can_acknowledge,
    can_manage,
    load_round,
    load_row,
    ranking_scope_q,
    round_scope_q,
)
from shuzhi.cycles.models import Round
from shuzhi.cycles.policy import default_scale
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

PAGE_SIZE = 30
ROW_PAGE_SIZE = 50
RANK_PAGE_SIZE = 50


def _round(request, round_id: int, *, manage: bool = False) -> Round:
    return load_round(request.user, round_id, manage=manage)


def _row(request, pk) -> GradeRow:
    return load_row(request.user, pk)


def _grading_page(rnd: Round):
    return redirect(reverse("grading_round", args=[rnd.pk]))


def _error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Rounds in the reader's scope with the state of their grading."""
    form = grading_forms.GradingSearchForm(request.GET or None)
    rounds = Round.objects.filter(round_scope_q(request.user)).select_related("host", "grading")
    text, year = "", None
    if form.is_valid():
        text, year = form.cleaned_data["q"].strip(), form.cleaned_data["year"]
        if text:
            rounds = rounds.filter(title__icontains=text) | rounds.filter(
                host__name__icontains=text
            )
        if year:
            rounds = rounds.filter(year=year)
    page = Paginator(rounds.order_by("-year", "host__path", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessment/grading_index.html",
        {"form": form, "page": page, "q": text, "year": year},
    )


def _component_columns(grading: Grading | None) -> list[tuple[str, str]]:
    if grading is None:
        return []
    return [(e["code"], composite.COMPONENTS.get(e["code"], e["code"])) for e in grading.formula]


def _decorate(rows, grading: Grading, labels: dict[str, str]) -> None:
    """Display values for the row template (templates cannot index dicts by a variable)."""
    codes = [code for code, _label in _component_columns(grading)]
    for row in rows:
        row.cells = [(code, _value(row.components.get(code))) for code in codes]
        row.suggested_label = labels.get(row.suggested, "")
        row.final_label = labels.get(row.final, row.final)
        row.error = ""
        row.editing = False


def _row_context(request: HttpRequest, grading: Grading, rnd: Round) -> dict:
    return {
        "grading": grading,
        "round": rnd,
        "columns": _component_columns(grading),
        "scale": rnd.scale,
        "labels": grading_selectors.scale_labels(rnd),
        "disqualifiers": (grading.policies or {}).get("disqualifiers") or [],
        "may_manage": can_manage(request.user, rnd),
    }


@login_required
def round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    """The grading page of a round: every reporter's composite, components, suggestion and the
    committee's grade."""
    return _render_round(request, _round(request, round_id))


def _render_round(
    request: HttpRequest, rnd: Round, *, refused: tuple[int, Any, str] | None = None
) -> HttpResponse:
    """The grading page; ``refused`` = (row id, posted data, error) of a refused decision."""
    grading = grading_selectors.grading_of(rnd)
    context: dict[str, Any] = {
        "round": rnd,
        "grading": grading,
        "may_manage": can_manage(request.user, rnd),
    }
    if grading is None:
        return render(request, "assessment/grading_round.html", context)
    search = grading_forms.RowSearchForm(request.GET or None)
    text, grade = "", ""
    if search.is_valid():
        text, grade = search.cleaned_data["q"].strip(), search.cleaned_data["grade"]
    rows = grading_selectors.rows_of(grading, text=text, grade=grade)
    page = Paginator(rows, ROW_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(_row_context(request, grading, rnd))
    _decorate(page, grading, context["labels"])
    # One row at a time opens its editor (``?edit=<row id>`` without JavaScript; htmx swaps
    # the row in place): a form in every row made the page of 14 cities 2,931 px tall.
    editing = request.GET.get("edit", "")
    for row in page:
        row.editing = context["may_manage"] and str(row.pk) == editing  # type: ignore[attr-defined]
    if refused is not None:
        row_id, data, error = refused
        for row in page:
            if row.pk == row_id:
                _keep_typed(row, data)
                row.error = error  # type: ignore[attr-defined]
                row.editing = True  # type: ignore[attr-defined]
    kept = request.GET.copy()
    kept.pop("edit", None)
    context.update(
        {
            "page": page,
            "keep_query": kept.urlencode(),
            "q": text,
            "grade": grade,
            "formula_text": _formula_text(grading),
        }
    )
    return render(request, "assessment/grading_round.html", context)


def _formula_text(grading: Grading) -> str:
    try:
        return grading_services.formula_of(grading, 0).text()
    except ValidationError:
        return ""


@login_required
def settings_page(request: HttpRequest, round_id: int) -> HttpResponse:
    """Create the grading or change its formula while it is a draft."""
    rnd = _round(request, round_id, manage=True)
    grading = grading_selectors.grading_of(rnd)
    if grading is not None and grading.formula_locked:
        messages.error(request, "已开始评定，综合得分公式已锁定。")
        return _grading_page(rnd)
    if grading is None:
        initial = grading_forms.SettingsForm.initial_from(
            grading_services.DEFAULT_FORMULA, grading_services.default_thresholds(rnd.scale), {}
        )
    else:
        initial = grading_forms.SettingsForm.initial_from(
            grading.formula, grading.thresholds, grading.policies
        )
    form = grading_forms.SettingsForm(
        request.POST if request.method == "POST" else None, initial=initial, scale=rnd.scale
    )
    if request.method == "POST" and form.is_valid():
        formula, thresholds, policies = form.as_data()
        try:
            grading_services.save_grading(
                actor=request.user,
                round=rnd,
                formula=formula,
                thresholds=thresholds,
                policies=policies,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "评定规则已保存。")
            return _grading_page(rnd)
    return render(
        request,
        "assessment/grading_settings.html",
        {"round": rnd, "form": form, "grading": grading},
    )


@login_required
@require_POST
def compute(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = _round(request, round_id, manage=True)
    grading = grading_selectors.grading_of(rnd)
    if grading is None:
        raise Http404
    try:
        rows = grading_services.compute_suggestions(actor=request.user, grading=grading)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"已计算 {len(rows)} 个述职对象的综合得分和建议等次。")
    return _grading_page(rnd)


def _derivation(row: GradeRow, code: str, labels: dict[str, str]) -> dict:
    """Title, value and explanation of one number of a row (grades by their names)."""
    if code == "composite":
        info = row.components.get("_composite", {})
        return {
            "title": "综合得分",
            "value": row.composite if row.composite is not None else composite.NO_DATA,
            "text": info.get("derivation", ""),
            "formula": info.get("formula", ""),
        }
    if code == "suggested":
        value = labels.get(row.suggested, row.suggested) if row.suggested else "—"
        return {"title": "建议等次", "value": value, "text": row.derivation}
    if code not in row.components or code.startswith("_"):
        raise Http404
    entry = row.components[code]
    return {
        "title": composite.COMPONENTS.get(code, code),
        "value": entry.get("value") or composite.NO_DATA,
        "text": entry.get("derivation", ""),
        "raw": explain.raw_rows(code, entry.get("raw") or {}, labels),
    }


@login_required
def derivation(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """How one number of a row came about (a panel for htmx, a page otherwise)."""
    row = _row(request, pk)
    labels = grading_selectors.scale_labels(row.grading.round)
    context = {"row": row, "d": _derivation(row, code, labels), "labels": labels}
    if request.headers.get("HX-Request"):
        return render(request, "assessment/grading_derivation.html", context)
    return render(request, "assessment/grading_derivation_page.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's grade for one row; htmx swaps the row, otherwise back to the page."""
    row = _row(request, pk)
    rnd = row.grading.round
    if not can_manage(request.user, rnd):
        raise PermissionDenied("您没有评定本次述职评议等次的权限。")
    choices = [
        (d["code"], d["label"]) for d in (row.grading.policies or {}).get("disqualifiers") or []
    ]
    form = grading_forms.DecideForm(request.POST, disqualifiers=choices)
    error = ""
    if form.is_valid():
        try:
            row = grading_services.decide_grade(
                actor=request.user,
                row=row,
                final=form.cleaned_data["final"],
                reason=form.cleaned_data["reason"],
                disqualifiers=form.cleaned_data["disqualifiers"],
                opinion=form.cleaned_data["opinion"],
            )
        except ValidationError as exc:
            error = _error_text(exc)
    else:
        error = "请选择评定等次。"
    if request.headers.get("HX-Request"):
        row = GradeRow.objects.select_related("reporter__unit", "reporter__person").get(pk=row.pk)
        context = _row_context(request, row.grading, rnd)
        _decorate([row], row.grading, context["labels"])
        if error:
            _keep_typed(row, request.POST)
        row.editing = bool(error)  # type: ignore[attr-defined]
        context.update({"row": row, "error": error, "saved": not error})
        # 200 even when refused: htmx swaps only successful responses, and the row shows the
        # refusal in place, with what was chosen and typed.
        return render(request, "assessment/grading_row.html", context)
    if error:
        # Without JavaScript the whole page comes back with the refused row as it was typed, so
        # nothing is lost between the refusal and the corrected save.
        messages.error(request, f"{row.reporter.unit.name}：{error}")
        return _render_round(request, rnd, refused=(row.pk, request.POST, error))
    messages.success(request, f"已保存 {row.reporter.unit.name} 的评定等次。")
    return _grading_page(rnd)


@login_required
@require_GET
def row_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the grading page, for htmx: ``?edit=1`` opens its editor (for those who may
    decide, while the grades are open), otherwise the row as shown — what 取消 swaps back."""
    row = _row(request, pk)
    rnd = row.grading.round
    context = _row_context(request, row.grading, rnd)
    _decorate([row], row.grading, context["labels"])
    row.editing = (  # type: ignore[attr-defined]
        request.GET.get("edit") == "1"
        and context["may_manage"]
        and row.grading.status == GradingStatus.SUGGESTED
    )
    context["row"] = row
    return render(request, "assessment/grading_row.html", context)


def _keep_typed(row: GradeRow, data) -> None:
    """Show the committee's refused input on the row instead of the stored values."""
    row.final = data.get("final", row.final)
    row.reason = data.get("reason", "")
    row.opinion = data.get("opinion", "")
    row.disqualifiers = data.getlist("disqualifiers")


@login_required
def confirm(request: HttpRequest, round_id: int) -> HttpResponse:
    """A summary of the grades to confirm, and the one button that confirms them all."""
    rnd = _round(request, round_id, manage=True)
    grading = grading_selectors.grading_of(rnd)
    if grading is None or grading.status == GradingStatus.DRAFT:
        messages.error(request, "请先计算建议等次。")
        return _grading_page(rnd)
    if request.method == "POST":
        try:
            rows = grading_services.confirm_grades(actor=request.user, grading=grading)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(
                request, f"已确定 {len(rows)} 个述职对象的评定等次，并已通知述职对象。"
            )
            return _grading_page(rnd)
    rows = list(grading_selectors.rows_of(grading))
    changed = [r for r in rows if r.final != r.suggested]
    return render(
        request,
        "assessment/grading_confirm.html",
        {
            "round": rnd,
            "grading": grading,
            "summary": grading_selectors.summary(rows, rnd.scale),
            "changed": changed,
            "total": len(rows),
            "labels": grading_selectors.scale_labels(rnd),
        },
    )


@login_required
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a confirmed grade: a new row with the reason supersedes this one."""
    row = _row(request, pk)
    rnd = row.grading.round
    if not can_manage(request.user, rnd):
        raise PermissionDenied("您没有更正评定结果的权限。")
    form = grading_forms.CorrectForm(
        request.POST if request.method == "POST" else None,
        initial={"final": row.final, "opinion": row.opinion},
        scale=rnd.scale,
    )
    if request.method == "POST" and form.is_valid():
        try:
            grading_services.correct_grade(
                actor=request.user,
                row=row,
                final=form.cleaned_data["final"],
                reason=form.cleaned_data["reason"],
                opinion=form.cleaned_data["opinion"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"已更正 {row.reporter.unit.name} 的评定等次。")
            return _grading_page(rnd)
    history = list(
        GradeRow.objects.filter(grading=row.grading, reporter=row.reporter)
        .select_related("decided_by")
        .order_by("created_at", "id")
    )
    return render(
        request,
        "assessment/grading_correct.html",
        {
            "round": rnd,
            "row": row,
            "form": form,
            "history": history,
            "labels": grading_selectors.scale_labels(rnd),
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The reporter's own confirmed grades, with the acknowledge button."""
    rows = grading_selectors.own_rows(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        labels = {s["code"]: s["label"] for s in row.grading.round.scale}
        row.final_label = labels.get(row.final, row.final)  # type: ignore[attr-defined]
        row.values = [  # type: ignore[attr-defined]
            (composite.COMPONENTS.get(code, code), entry.get("value") or composite.NO_DATA, code)
            for code, entry in row.components.items()
            if not code.startswith("_")
        ]
    return render(request, "assessment/grading_mine.html", {"page": page})


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    row = _row(request, pk)
    if not can_acknowledge(request.user, row):
        raise PermissionDenied("只有述职对象本人可以确认知悉评定结果。")
    try:
        grading_services.acknowledge(actor=request.user, row=row)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "已确认知悉评定结果。")
    return redirect(reverse("grading_mine"))


def _ranking_rows(user, form: grading_forms.RankingForm):
    data = form.cleaned_data if form.is_valid() else {}
    subtree = ""
    unit = None
    if data.get("unit"):
        unit = load(Unit, user, not_found="组织不存在或不在您的查看范围内。", pk=data["unit"])
        subtree = unit.path
    order = data.get("order") or "composite"
    scale_order = None
    if order == "grade":
        scale_order = {s["code"]: i for i, s in enumerate(default_scale())}
    rows = grading_selectors.ranking(
        scope=ranking_scope_q(user),
        year=data.get("year"),
        round_id=data.get("round"),
        session_id=data.get("session"),
        subtree_path=subtree,
        order=order,
        grade_order=scale_order,
    )
    return rows, unit, order


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """同台比武: confirmed grades across a round, a year or a subtree, ordered by grade,
    composite or any component, with each unit's position by composite."""
    form = grading_forms.RankingForm(request.GET or None)
    rows, unit, order = _ranking_rows(request.user, form)
    # One narrow read of every (id, position) in order — a few ints per row — serves both
    # the count and the page, so the window and the sort run once.
    pairs = list(rows.values_list("id", "position"))
    page = Paginator(pairs, RANK_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = grading_selectors.ranking_page(page)
    codes = list(composite.COMPONENTS)
    for row in page:
        labels = {s["code"]: s["label"] for s in row.grading.round.scale}
        row.final_label = labels.get(row.final, row.final)  # type: ignore[attr-defined]
        row.values = [  # type: ignore[attr-defined]
            _value(row.components.get(code)) for code in codes
        ]
    return render(
        request,
        "assessment/grading_ranking.html",
        {
            "form": form,
            "page": page,
            "unit": unit,
            "order": order,
            "columns": list(composite.COMPONENTS.items()),
        },
    )


def _value(entry: dict | None) -> str:
    if entry is None:
        return "—"
    value = entry.get("value")
    return composite.NO_DATA if value is None else str(Decimal(value))


@login_required
def history(request: HttpRequest, unit_id: int) -> HttpResponse:
    """One unit's grades year over year (same unit, every confirmed grading in scope)."""
    unit = load(Unit, request.user, pk=unit_id)
    rows = grading_selectors.unit_history(unit.pk, ranking_scope_q(request.user))
    for row in rows:
        labels = {s["code"]: s["label"] for s in row.grading.round.scale}
        row.final_label = labels.get(row.final, row.final)  # type: ignore[attr-defined]
        row.values = [_value(row.components.get(code)) for code in composite.COMPONENTS]  # type: ignore[attr-defined]
    return render(
        request,
        "assessment/grading_history.html",
        {"unit": unit, "rows": rows, "columns": list(composite.COMPONENTS.items())},
    )
