"""Pages for critiques (点评), mounted under /reports/critiques/.

- /reports/critiques/round/<round_id>/: the round's reporters with their critiques (host side)
- /reports/critiques/reporter/<reporter_id>/new/, /reports/critiques/<id>/[edit/|publish/]
- /reports/critiques/check/: the flag panel for the text being written (htmx)

Anything outside the reader's scope answers 404; visible but not allowed answers 403. Writes
go through the services; their Chinese errors come back on the form or as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from shuzhi.cycles.forms import apply_service_errors
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.kernel.loader import load
from shuzhi.rectification.models import Problem
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.critiques.forms import CritiqueForm, ProblemRowFormSet, problem_rows
from shuzhi.reports.critiques.models import Critique, CritiqueRole
from shuzhi.reports.critiques.policies import (
    can_critique,
    can_critique_round,
    critiques_as_team_member,
    critiques_visible_to,
)
from shuzhi.reports.plans.policies import can_view_plan
from shuzhi.reports.reports.policies import may_view_reporter

PAGE_SIZE = 20


def problem_url(pk: int) -> str:
    """The ledger page of a problem (``problem_detail``)."""
    try:
        return reverse("problem_detail", args=[pk])
    except NoReverseMatch:  # the ledger pages are mounted at /problems/ in every deployment
        return f"/problems/{pk}/"


def _reporter(request: HttpRequest, pk: int, action: str = "critique.view") -> RoundReporter:
    return load(
        RoundReporter.objects.select_related("round__host", "unit", "person"),
        request.user,
        visible=lambda user, found: may_view_reporter(user, action, found),
        not_found="述职对象不存在或不在您的查看范围内。",
        pk=pk,
    )


def _critique(request: HttpRequest, pk: int) -> Critique:
    return load(
        Critique.objects.select_related(
            "reporter__round__host", "reporter__unit", "reporter__person"
        ),
        request.user,
        not_found="点评不存在或不在您的查看范围内。",
        pk=pk,
    )


# --- Critiques ------------------------------------------------------------------------------


@login_required
def round_critiques(request: HttpRequest, round_id: int) -> HttpResponse:
    """The round's reporters with the critiques the reader may see, searchable and paged."""
    round = load(
        Round.objects.select_related("host"), request.user, view="critique.view", pk=round_id
    )
    q = request.GET.get("q", "").strip()[:100]
    reporters = round.reporters.select_related("unit", "person").order_by("sort_order", "id")
    if q:
        reporters = reporters.filter(
            Q(unit__name__icontains=q) | Q(unit__code__startswith=q) | Q(person__name__icontains=q)
        )
    visible = (
        critiques_visible_to(request.user)
        .annotate(problem_count=Count("problems"))
        .order_by("created_at", "id")
    )
    reporters = reporters.prefetch_related(Prefetch("critiques", queryset=visible))
    page = Paginator(reporters, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/critique_round.html",
        {
            "round": round,
            "page": page,
            "q": q,
            "may_write": can_critique_round(request.user, round),
        },
    )


def _check_panel(text: str, rows: list[dict], round: Round) -> list:
    return critique_services.check_critique(text, rows, round.report_checks or {})


def _critique_form_page(
    request: HttpRequest, reporter: RoundReporter, critique: Critique | None
) -> HttpResponse:
    if not can_critique(request.user, reporter):
        raise PermissionDenied("您没有权限点评该述职对象。")
    scale = reporter.round.scale
    if request.method == "POST":
        form = CritiqueForm(request.POST, scale=scale)
        formset = ProblemRowFormSet(request.POST, prefix="problems")
        if form.is_valid() and formset.is_valid():
            rows: list[dict[str, Any]] = problem_rows(formset)
            try:
                saved = critique_services.save_critique(
                    actor=request.user,
                    reporter=reporter,
                    problems=rows,
                    critique=critique,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    "点评已保存，点出的问题已列入问题清单。"
                    if saved.published
                    else "点评已保存为草稿：发布后点评内容才向述职单位公开，"
                    "点出的问题才列入问题清单。",
                )
                return redirect("critique_detail", saved.pk)
        checks = _check_panel(request.POST.get("text", ""), _raw_rows(request), reporter.round)
    else:
        if critique is None:
            initial: dict[str, str] = {"role": _default_role(request.user, reporter)}
            rows = [{"severity": "general"}]
        else:
            initial = {
                "role": critique.role,
                "portfolio": critique.portfolio,
                "text": critique.text,
                "rating": critique.rating,
                "critic": critique.author_label if critique.by_proxy else "",
            }
            rows = [
                {
                    "id": p.pk,
                    "description": p.description,
                    "severity": p.severity,
                    "deadline": p.deadline,
                }
                for p in critique.problems.order_by("serial", "id")
            ] + [
                {"description": p.description, "severity": p.severity, "deadline": p.deadline}
                for p in critique_services.draft_problems(critique)
            ]
        form = CritiqueForm(initial=initial, scale=scale)
        formset = ProblemRowFormSet(initial=rows, prefix="problems")
        checks = _check_panel(initial.get("text", ""), rows if critique else [], reporter.round)
    return render(
        request,
        "reports/critique_form.html",
        {
            "reporter": reporter,
            "critique": critique,
            "form": form,
            "formset": formset,
            "checks": checks,
            "flagged": critique_services.is_flagged(checks),
        },
    )


def _default_role(user, reporter: RoundReporter) -> str:
    """A leadership-team member of the host critiques on a portfolio; anyone else enters the
    host secretary's critique (themselves or on their behalf)."""
    if critiques_as_team_member(user, reporter.round.host):
        return CritiqueRole.TEAM_MEMBER.value
    return CritiqueRole.HOST_SECRETARY.value


def _raw_rows(request: HttpRequest) -> list[dict]:
    """The problem rows as typed (for the flag panel, valid or not)."""
    rows = []
    for key, value in request.POST.items():
        if key.startswith("problems-") and key.endswith("-description"):
            prefix = key[: -len("description")]
            if request.POST.get(prefix + "DELETE"):
                continue
            rows.append({"description": value})
    return rows


@login_required
def critique_create(request: HttpRequest, reporter_id: int) -> HttpResponse:
    return _critique_form_page(request, _reporter(request, reporter_id), None)


@login_required
def critique_edit(request: HttpRequest, pk: int) -> HttpResponse:
    critique = _critique(request, pk)
    return _critique_form_page(request, critique.reporter, critique)


@login_required
def critique_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A critique, its flag panel and the problems it named, linked to the ledger."""
    critique = _critique(request, pk)
    problems = list(
        Problem.objects.filter(critique=critique)
        .select_related("source", "unit")
        .order_by("serial", "id")
    )
    for problem in problems:
        problem.url = problem_url(problem.pk)  # type: ignore[attr-defined]
    drafted = critique_services.draft_problems(critique)
    checks = critique_services.check_critique(
        critique.text,
        [*problems, *drafted],
        critique.reporter.round.report_checks or {},
        unit=critique.reporter.unit.name,
    )
    return render(
        request,
        "reports/critique_detail.html",
        {
            "critique": critique,
            "reporter": critique.reporter,
            "problems": problems,
            "drafted": drafted,
            "checks": checks,
            "flagged": critique_services.is_flagged(checks),
            "may_write": can_critique(request.user, critique.reporter),
            "may_view_plan": can_view_plan(request.user, critique.reporter),
        },
    )


@login_required
@require_POST
def critique_publish(request: HttpRequest, pk: int) -> HttpResponse:
    critique = _critique(request, pk)
    if not can_critique(request.user, critique.reporter):
        raise PermissionDenied("您没有权限发布该点评。")
    try:
        critique_services.publish_critique(actor=request.user, critique=critique)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "点评已发布，述职单位可以看到点评意见。")
    return redirect("critique_detail", critique.pk)


@login_required
@require_POST
def critique_check(request: HttpRequest) -> HttpResponse:
    """The flag panel for the text and rows being typed (htmx, nothing is saved)."""
    reporter = _reporter(request, _int(request.POST.get("reporter")))
    checks = _check_panel(request.POST.get("text", ""), _raw_rows(request), reporter.round)
    return render(
        request,
        "reports/critique_checks.html",
        {"checks": checks, "flagged": critique_services.is_flagged(checks)},
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404("述职对象不存在。") from exc
