"""Pages for rectification plans (整改方案), mounted under /reports/plans/.

- /reports/plans/<reporter_id>/[create/|edit/|submit/|approve/|return/]

Anything outside the reader's scope answers 404; visible but not allowed answers 403. Writes
go through the services; their Chinese errors come back on the form or as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuzhi.cycles.forms import apply_service_errors
from shuzhi.cycles.models import RoundReporter
from shuzhi.kernel.loader import load
from shuzhi.rectification.models import Problem
from shuzhi.reports.critiques.views import problem_url
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.forms import PlanItemFormSet, PlanSummaryForm, ReturnForm, plan_items
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.plans.policies import (
    can_review_plan,
    can_view_plan,
    can_write_plan,
    readable_plan,
)


def _plan_reporter(request: HttpRequest, reporter_id: int) -> RoundReporter:
    return load(
        RoundReporter.objects.select_related("round__host", "unit", "person"),
        request.user,
        visible=can_view_plan,
        not_found="述职对象不存在或不在您的查看范围内。",
        pk=reporter_id,
    )


def _plan_of(request: HttpRequest, reporter: RoundReporter) -> RectificationPlan | None:
    """The plan as the reader may see it (a draft out of their circle reads as none)."""
    return readable_plan(request.user, reporter)


def _plan_or_404(request: HttpRequest, reporter: RoundReporter) -> RectificationPlan:
    plan = _plan_of(request, reporter)
    if plan is None:
        raise Http404("尚未报送整改方案。")
    return plan


def _plan_context(request, reporter, plan, formset=None, summary_form=None, return_form=None):
    problems = {}
    if plan is not None:
        ids = [item.get("problem") for item in plan.items]
        problems = Problem.objects.select_related("source").in_bulk(ids)
    named = set(plan_services.named_problems(reporter).values_list("pk", flat=True))
    may_write = can_write_plan(request.user, reporter)
    editable = plan is not None and plan.status in plan_services.EDITABLE_STATUSES and may_write
    if editable and formset is None:
        formset = PlanItemFormSet(initial=plan.items, prefix="items")
        summary_form = PlanSummaryForm(initial={"summary": plan.summary})
    rows = []
    if plan is not None:
        forms = formset.forms if formset is not None else [None] * len(plan.items)
        for item, form in zip(plan.items, forms, strict=False):
            problem = problems.get(item.get("problem"))
            rows.append(
                {
                    "item": item,
                    "form": form,
                    "problem": problem,
                    "url": problem_url(item.get("problem")),
                    "named": item.get("problem") in named,
                }
            )
    listed = {item.get("problem") for item in plan.items} if plan else set()
    others = [p for p in plan_services.other_open_problems(reporter) if p.pk not in listed]
    return {
        "reporter": reporter,
        "plan": plan,
        "rows": rows,
        "formset": formset,
        "summary_form": summary_form,
        "return_form": return_form or ReturnForm(),
        "named_count": len(named),
        "others": others,
        "may_write": may_write,
        "editable": editable,
        "may_review": can_review_plan(request.user, reporter)
        and plan is not None
        and plan.status == PlanStatus.SUBMITTED,
        "open_issues": plan_services.submit_problems(plan) if editable and plan else [],
    }


@login_required
def plan_detail(request: HttpRequest, reporter_id: int) -> HttpResponse:
    """The plan of one reporter: read, edit (unit), approve or return (superior)."""
    reporter = _plan_reporter(request, reporter_id)
    plan = _plan_of(request, reporter)
    return render(request, "reports/plan_detail.html", _plan_context(request, reporter, plan))


def _plan_act(request: HttpRequest, reporter: RoundReporter, run, done: str) -> HttpResponse:
    try:
        run()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("plan_detail", reporter.pk)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@login_required
@require_POST
def plan_create(request: HttpRequest, reporter_id: int) -> HttpResponse:
    reporter = _plan_reporter(request, reporter_id)
    include = _ids(request.POST.getlist("include"))
    return _plan_act(
        request,
        reporter,
        lambda: plan_services.draft_plan(actor=request.user, reporter=reporter, include=include),
        "整改方案草稿已生成，请逐项填写整改措施、完成时限和责任人。",
    )


@login_required
@require_POST
def plan_edit(request: HttpRequest, reporter_id: int) -> HttpResponse:
    """Save the items (and add chosen open problems of the unit as new items)."""
    reporter = _plan_reporter(request, reporter_id)
    plan = _plan_of(request, reporter)
    if plan is None:
        raise Http404("尚未编制整改方案。")
    formset = PlanItemFormSet(request.POST, prefix="items")
    summary_form = PlanSummaryForm(request.POST)
    if formset.is_valid() and summary_form.is_valid():
        items = plan_items(formset)
        items += [{"problem": pk} for pk in _ids(request.POST.getlist("include"))]
        try:
            plan_services.update_plan(
                actor=request.user,
                plan=plan,
                summary=summary_form.cleaned_data["summary"],
                items=items,
            )
        except ValidationError as exc:
            apply_service_errors(summary_form, exc)
        else:
            messages.success(request, "整改方案已保存。")
            return redirect("plan_detail", reporter.pk)
    context = _plan_context(request, reporter, plan, formset=formset, summary_form=summary_form)
    return render(request, "reports/plan_detail.html", context)


@login_required
@require_POST
def plan_submit(request: HttpRequest, reporter_id: int) -> HttpResponse:
    reporter = _plan_reporter(request, reporter_id)
    plan = _plan_or_404(request, reporter)
    return _plan_act(
        request,
        reporter,
        lambda: plan_services.submit_plan(actor=request.user, plan=plan),
        "整改方案已报送上级审批。",
    )


@login_required
@require_POST
def plan_approve(request: HttpRequest, reporter_id: int) -> HttpResponse:
    reporter = _plan_reporter(request, reporter_id)
    plan = _plan_or_404(request, reporter)
    return _plan_act(
        request,
        reporter,
        lambda: plan_services.approve_plan(actor=request.user, plan=plan),
        "整改方案已批准，各项措施已写入问题台账。",
    )


@login_required
@require_POST
def plan_return(request: HttpRequest, reporter_id: int) -> HttpResponse:
    reporter = _plan_reporter(request, reporter_id)
    plan = _plan_or_404(request, reporter)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            plan_services.return_plan(
                actor=request.user, plan=plan, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "整改方案已退回修改。")
            return redirect("plan_detail", reporter.pk)
    # Refused: the plan again with the comment as typed and the reason beside it.
    messages.error(request, "整改方案未能退回，请按提示修改。")
    context = _plan_context(request, reporter, plan, return_form=form)
    return render(request, "reports/plan_detail.html", context)
