"""Pages for annual rounds: the list, creating and editing a round and its policies, and
choosing the reporting units (by code, by type or from a file).

Anything outside the reader's scope answers 404; a reader who may see a round but not change
it gets 403 on the change pages. Writes go through :mod:`services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuzhi.exports.responses import CSV, attachment
from shuzhi.kernel.loader import load
from shuzhi.orgs.imports.tabular import TabularError, errors_as_csv, read_table
from shuzhi.orgs.tree.models import Unit

from . import forms, policy, selectors, services
from .models import Round, RoundReporter, RoundStatus
from .policies import can_round, may_create_round
from .transitions import ROUND

PAGE_SIZE = 30


def _visible_round(request: HttpRequest, pk: int, action: str | None = None) -> Round:
    return load(
        Round.objects.select_related("host"),
        request.user,
        action,
        not_found="年度述职评议不存在或不在您的查看范围内。",
        denied="您没有权限修改该年度述职评议。",
        pk=pk,
    )


def _changeable_round(request: HttpRequest, pk: int) -> Round:
    return _visible_round(request, pk, "round.change")


def _detail(round: Round) -> HttpResponseRedirect:
    return redirect(reverse("round_detail", args=[round.pk]))


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """Rounds in the reader's scope, newest year first, searchable by host and year."""
    form = forms.RoundSearchForm(request.GET or None)
    text, year = "", None
    if form.is_valid():
        text, year = form.cleaned_data["q"].strip(), form.cleaned_data["year"]
    rounds = selectors.round_list(request.user, text=text, year=year)
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    may_create = may_create_round(request.user)
    return render(
        request,
        "cycles/round_list.html",
        {"form": form, "page": page, "may_create": may_create, "q": text, "year": year},
    )


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    """Create a round for a host unit and a year, with the default policies."""
    if not may_create_round(request.user):
        raise PermissionDenied("您没有权限创建年度述职评议。")
    form = forms.RoundCreateForm(request.POST or None, initial=request.GET or None)
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
                round = services.create_round(
                    actor=request.user,
                    host=host,
                    year=form.cleaned_data["year"],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("host_code", str(exc))
            else:
                messages.success(request, f"已创建“{round.title}”，请选择述职单位。")
                return redirect(reverse("round_reporters", args=[round.pk]))
    return render(request, "cycles/round_create.html", {"form": form})


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A round: its policies, reporters and sessions."""
    round = _visible_round(request, pk)
    return render(
        request,
        "cycles/round_detail.html",
        {
            "round": round,
            "reporters": list(selectors.reporters_of(round)),
            "sessions": list(round.sessions.order_by("date", "id")),
            "can_change": can_round(request.user, "round.change", round),
            # The grading is read by the round's managers and the host's report reviewers
            # (assessment.grading.policies.can_view); the tab shows only for them.
            "can_read_grading": can_round(request.user, "round.change", round)
            or can_round(request.user, "report.review", round),
            "next_statuses": [(s, RoundStatus(s).label) for s in ROUND.targets(round.status)],
            "resolution_date": services.resolution_date(round),
            "report_limits": {**policy.default_report_checks(), **(round.report_checks or {})},
        },
    )


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the round's name and policies."""
    round = _changeable_round(request, pk)
    initial = {
        "title": round.title,
        "scale": forms.scale_text(round.scale),
        "categories": forms.categories_text(round.categories),
        "sub_items": forms.sub_items_text(round.sub_items),
        "quotas": forms.quotas_text(round.quotas),
        "quorum_ratio": round.quorum_ratio,
        "close_turnout": round.close_turnout if round.close_turnout is not None else "",
        "min_ballots": round.min_ballots,
        "live_rotation_years": round.live_rotation_years,
        # "" rather than None: the initial values read as what the browser would post back.
        "report_due": round.report_due or "",
        "report_topics": forms.report_topics_text(round.report_topics or []),
        "report_checks": forms.report_checks_text(round.report_checks or {}),
    }
    form = forms.RoundEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_round(actor=request.user, round=round, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return _detail(round)
    return render(request, "cycles/round_edit.html", {"round": round, "form": form})


@login_required
@require_POST
def round_status(request: HttpRequest, pk: int) -> HttpResponse:
    round = _changeable_round(request, pk)
    try:
        services.transition_round(
            actor=request.user, round=round, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "状态已更新。")
    return _detail(round)


@login_required
def round_reporters(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose reporting units three ways: by code, by type, or from a file."""
    round = _changeable_round(request, pk)
    how = request.POST.get("how") if request.method == "POST" else None
    codes_form = forms.CodesForm(request.POST if how == "codes" else None, prefix="codes")
    type_form = forms.TypeForm(request.POST if how == "type" else None, prefix="type")
    file_form = forms.FileForm(
        request.POST if how == "file" else None,
        request.FILES if how == "file" else None,
        prefix="file",
    )
    row_errors: list = []
    try:
        if how == "codes" and codes_form.is_valid():
            added = services.add_reporters_by_codes(
                actor=request.user, round=round, codes=codes_form.cleaned_data["codes"]
            )
            messages.success(request, f"已添加 {len(added)} 个述职单位。")
            return _detail(round)
        if how == "type" and type_form.is_valid():
            added = services.add_reporters_by_type(
                actor=request.user,
                round=round,
                type=type_form.cleaned_data["type"],
                direct_only=type_form.cleaned_data["direct_only"],
            )
            messages.success(request, f"已添加 {len(added)} 个述职单位。")
            return _detail(round)
        if how == "file" and file_form.is_valid():
            upload = file_form.cleaned_data["file"]
            try:
                table = read_table(upload.name, upload.file)
                added, row_errors = services.import_reporters(
                    actor=request.user, round=round, table=table
                )
            except TabularError as exc:
                file_form.add_error("file", str(exc))
            else:
                if not row_errors:
                    messages.success(request, f"已从文件添加 {len(added)} 个述职单位。")
                    return _detail(round)
                if request.POST.get("errors_csv"):
                    return attachment(
                        errors_as_csv(row_errors), filename="errors.csv", content_type=CSV
                    )
    except ValidationError as exc:
        target = {"codes": codes_form, "type": type_form}.get(how or "", file_form)
        forms.apply_service_errors(target, exc)
    return render(
        request,
        "cycles/round_reporters.html",
        {
            "round": round,
            "codes_form": codes_form,
            "type_form": type_form,
            "file_form": file_form,
            "row_errors": row_errors,
            "reporters": list(selectors.reporters_of(round)),
        },
    )


def _reporter(request: HttpRequest, round_pk: int, pk: int) -> RoundReporter:
    round = _changeable_round(request, round_pk)
    reporter = get_object_or_404(
        RoundReporter.objects.select_related("unit", "person"), round=round, pk=pk
    )
    reporter.round = round
    return reporter


@login_required
def reporter_person(request: HttpRequest, pk: int, reporter_pk: int) -> HttpResponse:
    """Put another person in as the reporter of a unit."""
    reporter = _reporter(request, pk, reporter_pk)
    people = selectors.person_candidates(request.user, reporter)
    form = forms.ReporterPersonForm(
        request.POST or None, people=people, initial={"person": reporter.person_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_reporter_person(
                actor=request.user, reporter=reporter, person=form.cleaned_data["person"]
            )
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, f"已更新“{reporter.unit.name}”的述职人。")
            return _detail(reporter.round)
    return render(
        request,
        "cycles/reporter_person.html",
        {"round": reporter.round, "reporter": reporter, "form": form},
    )


@login_required
@require_POST
def reporter_remove(request: HttpRequest, pk: int, reporter_pk: int) -> HttpResponse:
    reporter = _reporter(request, pk, reporter_pk)
    try:
        services.remove_reporter(actor=request.user, reporter=reporter)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"已移除“{reporter.unit.name}”。")
    return _detail(reporter.round)


@login_required
@require_POST
def reporters_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    round = _changeable_round(request, pk)
    try:
        changed = services.refresh_reporter_people(actor=request.user, round=round)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"已按任职重新确定述职人，{changed} 个单位有变化。")
    return _detail(round)
