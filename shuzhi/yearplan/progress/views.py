"""Pages for progress: the host's matrix (with export, drill-down, requests and notices) and
a unit's own progress form, mounted at /plan/.

The matrix needs ``round.view`` on the list's host (403 otherwise, 404 out of sight); its
cells are narrowed to the units the reader sees. Writes go through :mod:`services`.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuzhi.core import clock
from shuzhi.core.files import serve_file
from shuzhi.exports.responses import XLSX, attachment
from shuzhi.kernel.loader import load, require
from shuzhi.kernel.scope import is_global
from shuzhi.orgs.tree.models import Unit
from shuzhi.yearplan.keytasks.models import KeyTask, TaskList
from shuzhi.yearplan.keytasks.policies import CHANGE, VIEW, can_list, can_read

from . import services
from .export import matrix_workbook
from .models import CellState, ProgressNotice, ProgressReport
from .policies import can_report, reporting_units
from .selectors import checkpoints_of, matrix, unit_progress

PAGE_SIZE = 50


def _list_for(request: HttpRequest, pk: int, action: str) -> TaskList:
    return load(
        TaskList.objects.select_related("host"),
        request.user,
        visible=can_read,
        allowed=lambda user, obj: can_list(user, action, obj),
        not_found="重点任务清单不存在或不在您的查看范围内。",
        denied="您没有权限查看该清单的进度。" if action == VIEW else "您没有权限督办该清单。",
        pk=pk,
    )


def _checkpoint(request: HttpRequest, task_list: TaskList) -> datetime.date | None:
    raw = request.GET.get("checkpoint") or request.POST.get("checkpoint") or ""
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _matrix(request: HttpRequest, task_list: TaskList, *, limit: int, offset: int = 0):
    return matrix(
        task_list,
        request.user,
        checkpoint=_checkpoint(request, task_list),
        q=(request.GET.get("q") or "").strip(),
        only=request.GET.get("only") or "",
        sort=request.GET.get("sort") or "",
        offset=offset,
        limit=limit,
    )


@login_required
def matrix_page(request: HttpRequest, pk: int) -> HttpResponse:
    task_list = _list_for(request, pk, VIEW)
    try:
        number = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        number = 1
    m = _matrix(request, task_list, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    paginator = Paginator(range(m.total_units), PAGE_SIZE)
    page = paginator.get_page(number)
    may_push = can_list(request.user, CHANGE, task_list)
    return render(
        request,
        "yearplan/matrix.html",
        {
            "list": task_list,
            "m": m,
            "columns": list(zip(m.tasks, m.by_task, strict=True)),
            "page": page,
            "states": CellState.choices,
            "may_push": may_push,
            "ladder": services.ladder(task_list) if may_push else [],
            "requests": task_list.progress_requests.all()[:5],
            "q": request.GET.get("q", ""),
            "only": request.GET.get("only", ""),
            "sort": request.GET.get("sort", ""),
        },
    )


@login_required
def matrix_export(request: HttpRequest, pk: int) -> HttpResponse:
    task_list = _list_for(request, pk, VIEW)
    m = _matrix(request, task_list, limit=100000)
    name = f"{task_list.year}年度重点任务进度（{m.checkpoint:%m月%d日}）.xlsx"
    return attachment(
        matrix_workbook(m), filename=name, ascii_name="progress.xlsx", content_type=XLSX
    )


@login_required
def cell_detail(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    task_list = _list_for(request, pk, VIEW)
    unit = load(Unit, request.user, pk=unit_pk)
    if not unit.path.startswith(task_list.host.path) or unit.pk == task_list.host_id:
        raise Http404("该单位不在本清单的范围内。")
    reports = (
        ProgressReport.objects.filter(task__task_list=task_list, unit=unit)
        .select_related("task", "reported_by")
        .order_by("task__sort_order", "checkpoint")
    )
    notices = ProgressNotice.objects.filter(task_list=task_list, unit=unit).select_related(
        "task", "sent_by"
    )
    return render(
        request,
        "yearplan/cell.html",
        {"list": task_list, "unit": unit, "reports": reports, "notices": notices},
    )


@login_required
def evidence_download(request: HttpRequest, report_pk: int) -> HttpResponseBase:
    report = get_object_or_404(
        ProgressReport.objects.select_related("unit", "task__task_list__host"), pk=report_pk
    )
    task_list = report.task.task_list
    if not (can_list(request.user, VIEW, task_list) or can_report(request.user, report.unit)):
        raise Http404("未找到，或不在您的查看范围内。")
    if not report.evidence:
        raise Http404("没有佐证材料。")
    return serve_file(report.evidence, report.evidence_name or "佐证材料")


@login_required
@require_POST
def progress_request(request: HttpRequest, pk: int) -> HttpResponse:
    task_list = _list_for(request, pk, CHANGE)
    checkpoint = _checkpoint(request, task_list)
    try:
        if checkpoint is None:
            raise ValidationError({"checkpoint": "请选择进度节点。"})
        services.request_progress(
            actor=request.user,
            task_list=task_list,
            checkpoint=checkpoint,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已通知各单位填报进度。")
    return redirect(f"{_matrix_url(task_list)}?checkpoint={checkpoint or ''}")


def _matrix_url(task_list: TaskList) -> str:
    return reverse("yearplan_matrix", args=[task_list.pk])


@login_required
@require_POST
def notices_send(request: HttpRequest, pk: int) -> HttpResponse:
    task_list = _list_for(request, pk, CHANGE)
    checkpoint = _checkpoint(request, task_list)
    ids = [int(v) for v in request.POST.getlist("units") if v.isdigit()]
    units = list(Unit.objects.visible_to(request.user).filter(pk__in=ids))
    task = None
    if (request.POST.get("task") or "").isdigit():
        task = KeyTask.objects.filter(task_list=task_list, pk=int(request.POST["task"])).first()
    try:
        if checkpoint is None:
            raise ValidationError({"checkpoint": "请选择进度节点。"})
        sent = services.send_notices(
            actor=request.user,
            task_list=task_list,
            units=units,
            level=request.POST.get("level", ""),
            checkpoint=checkpoint,
            task=task,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已向 {len(sent)} 个单位发送{sent[0].level_name}。")
    return redirect(f"{_matrix_url(task_list)}?checkpoint={checkpoint or ''}")


def _my_units(user) -> list[Unit]:
    if is_global(user):
        return []
    paths = [path for path, _depth in reporting_units(user)]
    return list(Unit.objects.filter(path__in=paths).select_related("type").order_by("path"))


@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    units = _my_units(request.user)
    unit = None
    if (request.GET.get("unit") or "").isdigit():
        unit = next((u for u in units if u.pk == int(request.GET["unit"])), None)
        if unit is None:
            candidate = load(Unit, request.user, pk=int(request.GET["unit"]))
            require(can_report(request.user, candidate), "您没有权限填报该单位的进度。")
            unit = candidate
    unit = unit or (units[0] if units else None)
    year = int(request.GET.get("year") or clock.today().year)
    rows, dates, checkpoint, errors = [], [], None, {}
    if unit is not None:
        tasks = [t for t, _r in unit_progress(unit, year, datetime.date(year, 6, 30))]
        dates = checkpoints_of(tasks, year)
        checkpoint = _checkpoint(request, None)  # type: ignore[arg-type]
        if checkpoint not in dates:
            today = clock.today()
            checkpoint = next((d for d in dates if d >= today), dates[-1] if dates else None)
    if request.method == "POST" and unit is not None and checkpoint is not None:
        task = get_object_or_404(KeyTask, pk=request.POST.get("task"))
        try:
            services.report_progress(
                actor=request.user,
                task=task,
                unit=unit,
                checkpoint=checkpoint,
                value=request.POST.get("value"),
                state=request.POST.get("state", ""),
                note=request.POST.get("note", ""),
                evidence=request.FILES.get("evidence"),
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            errors = {"task": task.pk, "messages": exc.messages, "post": request.POST}
        else:
            messages.success(request, f"已填报“{task.title}”的进度。")
            return redirect(
                f"{request.path}?unit={unit.pk}&year={year}&checkpoint={checkpoint:%Y-%m-%d}"
            )
    if unit is not None and checkpoint is not None:
        rows = unit_progress(unit, year, checkpoint)
    notices = (
        ProgressNotice.objects.filter(unit=unit, task_list__year=year).select_related(
            "task", "task_list"
        )[:20]
        if unit is not None
        else []
    )
    return render(
        request,
        "yearplan/my_progress.html",
        {
            "units": units,
            "unit": unit,
            "year": year,
            "rows": rows,
            "dates": dates,
            "checkpoint": checkpoint,
            "errors": errors,
            "notices": notices,
            "reported_states": [
                (CellState.ON_TRACK, CellState.ON_TRACK.label),
                (CellState.BEHIND, CellState.BEHIND.label),
                (CellState.DONE, CellState.DONE.label),
            ],
        },
    )
