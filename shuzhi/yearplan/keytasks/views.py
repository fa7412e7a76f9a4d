"""Pages for key-task lists, mounted at /plan/.

A list the reader may not see answers 404 (drafts are seen by the host's readers only; a
published list also by the units below the host); a change page the reader may not use
answers 403. Writes go through :mod:`services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

from . import checks, forms, services
from .models import KeyTask, TaskList
from .policies import CHANGE, VIEW, can_list, can_read, may_plan, parent_candidates, visible_lists

PAGE_SIZE = 30
NOT_FOUND = "重点任务清单不存在或不在您的查看范围内。"


def _readable(request: HttpRequest, pk: int) -> TaskList:
    return load(
        TaskList.objects.select_related("host", "parent_list__host"),
        request.user,
        visible=can_read,
        not_found=NOT_FOUND,
        pk=pk,
    )


def _changeable(request: HttpRequest, pk: int) -> TaskList:
    return load(
        TaskList.objects.select_related("host", "parent_list__host"),
        request.user,
        visible=can_read,
        allowed=lambda user, obj: can_list(user, CHANGE, obj),
        not_found=NOT_FOUND,
        denied="您没有权限修改该重点任务清单。",
        pk=pk,
    )


@login_required
def list_index(request: HttpRequest) -> HttpResponse:
    form = forms.ListSearchForm(request.GET or None)
    lists = visible_lists(request.user).select_related("host").annotate(task_count=Count("tasks"))
    q, year = "", None
    if form.is_valid():
        q = (form.cleaned_data.get("q") or "").strip()
        year = form.cleaned_data.get("year")
        if q:
            lists = lists.filter(
                Q(title__icontains=q) | Q(host__name__icontains=q) | Q(host__code=q)
            )
        if year:
            lists = lists.filter(year=year)
    page = Paginator(lists.order_by("-year", "host__path", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "yearplan/list_index.html",
        {"page": page, "form": form, "q": q, "year": year, "may_create": may_plan(request.user)},
    )


@login_required
def list_create(request: HttpRequest) -> HttpResponse:
    if not may_plan(request.user):
        raise PermissionDenied("您没有权限制定重点任务清单。")
    host = None
    code = (request.POST.get("host_code") or request.GET.get("host") or "").strip()
    if code:
        host = Unit.objects.visible_to(request.user).filter(code=code).first()
    parents = list(parent_candidates(request.user, host)) if host else []
    initial = {"host_code": code, "year": request.GET.get("year") or ""}
    form = forms.ListCreateForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        if host is None:
            form.add_error("host_code", "找不到该组织代码，或您无权查看该组织。")
        else:
            parent = next(
                (p for p in parents if str(p.pk) == form.cleaned_data["parent_list"]), None
            )
            try:
                task_list = services.create_list(
                    actor=request.user,
                    host=host,
                    year=form.cleaned_data["year"],
                    title=form.cleaned_data["title"],
                    doc_number=form.cleaned_data["doc_number"],
                    parent_list=parent,
                )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("host_code", str(exc))
            else:
                messages.success(request, f"已创建“{task_list.title}”。")
                return redirect("yearplan_list_detail", task_list.pk)
    return render(request, "yearplan/list_create.html", {"form": form, "host": host})


@login_required
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task_list = _readable(request, pk)
    tasks = list(
        task_list.tasks.select_related("derived_from", "indicator").prefetch_related("applies_to")
    )
    may_change = can_list(request.user, CHANGE, task_list)
    findings = services.findings_for(task_list, tasks) if may_change else []
    return render(
        request,
        "yearplan/list_detail.html",
        {
            "list": task_list,
            "tasks": tasks,
            "findings": [(f, checks.rule_of(f)) for f in findings],
            "may_change": may_change,
            "may_view_matrix": can_list(request.user, VIEW, task_list),
            "revisions": task_list.revisions.select_related("changed_by")[:20],
            "derived": task_list.derived_lists.select_related("host").order_by("host__path"),
            "plan_settings": services.settings_for(task_list.host),
        },
    )


def _task_form(request, task_list: TaskList, task: KeyTask | None):
    parent_tasks = KeyTask.objects.filter(task_list_id=task_list.parent_list_id)
    initial = {}
    if task is not None:
        initial = {
            "code": task.code,
            "title": task.title,
            "description": task.description,
            "applies_to": list(task.applies_to.all()),
            "target_kind": task.target_kind,
            "target_value": ""
            if task.target_value is None
            else f"{task.target_value.normalize():f}",
            "target_unit": task.target_unit,
            "target_date": task.target_date,
            "weight": f"{task.weight.normalize():f}",
            "checkpoints": ", ".join(task.checkpoints),
            "source": task.source,
            "indicator": task.indicator_id,
            "derived_from": task.derived_from_id,
        }
    else:
        initial = {"code": str(task_list.tasks.count() + 1)}
    return forms.TaskForm(
        request.POST or None,
        initial=initial,
        task_list=task_list,
        indicators=services.indicator_choices(task_list),
        parent_tasks=parent_tasks,
    )


@login_required
def task_edit(request: HttpRequest, pk: int, task_pk: int | None = None) -> HttpResponse:
    task_list = _changeable(request, pk)
    task = get_object_or_404(KeyTask, task_list=task_list, pk=task_pk) if task_pk else None
    form = _task_form(request, task_list, task)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        applies_to = data.pop("applies_to")
        reason = data.pop("reason", "")
        try:
            services.save_task(
                actor=request.user,
                task_list=task_list,
                task=task,
                applies_to=applies_to,
                reason=reason,
                **data,
            )
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, "任务已保存。")
            return redirect("yearplan_list_detail", task_list.pk)
    return render(
        request, "yearplan/task_edit.html", {"list": task_list, "task": task, "form": form}
    )


@login_required
@require_POST
def task_delete(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    task_list = _changeable(request, pk)
    task = get_object_or_404(KeyTask, task_list=task_list, pk=task_pk)
    try:
        services.delete_task(actor=request.user, task=task, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "任务已删除。")
    return redirect("yearplan_list_detail", task_list.pk)


@login_required
@require_POST
def list_publish(request: HttpRequest, pk: int) -> HttpResponse:
    task_list = _changeable(request, pk)
    try:
        services.publish_list(actor=request.user, task_list=task_list)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "清单已发布，适用单位已收到提醒。")
    return redirect("yearplan_list_detail", task_list.pk)


@login_required
def settings_edit(request: HttpRequest, unit_pk: int) -> HttpResponse:
    host = load(
        Unit,
        request.user,
        CHANGE,
        denied="您没有权限修改该单位的年度计划规则。",
        pk=unit_pk,
    )
    row = services.settings_for(host)
    policy = checks.policy_for(row.data)
    form = forms.SettingsForm(
        request.POST or None,
        initial={
            "pledge_letters": row.pledge_letters,
            "claiming": row.claiming,
            "max_progress_requests": policy["max_progress_requests"],
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(row.data)
        data["max_progress_requests"] = form.cleaned_data["max_progress_requests"]
        try:
            services.save_settings(
                actor=request.user,
                host=host,
                pledge_letters=form.cleaned_data["pledge_letters"],
                claiming=form.cleaned_data["claiming"],
                data=data,
            )
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, "规则已保存。")
            return redirect("yearplan_settings", host.pk)
    return render(
        request,
        "yearplan/settings.html",
        {"host": host, "form": form, "ladder": policy["notice_ladder"]},
    )
