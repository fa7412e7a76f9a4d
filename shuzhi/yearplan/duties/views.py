"""Pages for responsibility lists, mounted at /plan/duties/.

A list out of the reader's sight answers 404; a write the reader may not make answers 403.
Writes go through :mod:`services`.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuzhi.core import clock
from shuzhi.core.transitions import Transition
from shuzhi.kernel.loader import load, require
from shuzhi.orgs.tree.models import Unit
from shuzhi.yearplan.progress.policies import can_report, reporting_units
from shuzhi.yearplan.transitions import DUTY_LIST

from . import services
from .models import DutyItem, DutyList, DutyRole, DutyStatus
from .policies import can_review, can_write, reviewable_q

PAGE_SIZE = 30


def _duty_list(request: HttpRequest, pk: int) -> DutyList:
    return load(
        DutyList.objects.select_related("unit__parent", "reviewed_by"),
        request.user,
        not_found="责任清单不存在或不在您的查看范围内。",
        pk=pk,
    )


@login_required
def duty_index(request: HttpRequest) -> HttpResponse:
    year = int(request.GET.get("year") or clock.today().year)
    paths = [path for path, _depth in reporting_units(request.user)]
    units = list(Unit.objects.filter(path__in=paths).order_by("path"))
    mine = {d.unit_id: d for d in DutyList.objects.filter(unit__in=units, year=year)}
    to_review = (
        DutyList.objects.filter(year=year, status=DutyStatus.FILED)
        .filter(reviewable_q(request.user))
        .select_related("unit")
        .order_by("unit__path")
    )
    page = Paginator(to_review, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "yearplan/duty_index.html",
        {"year": year, "units": [(u, mine.get(u.pk)) for u in units], "page": page},
    )


@login_required
@require_POST
def duty_start(request: HttpRequest) -> HttpResponse:
    unit = load(Unit, request.user, pk=request.POST.get("unit") or 0)
    require(can_report(request.user, unit), "您没有权限编制该单位的责任清单。")
    try:
        year = int(request.POST.get("year") or clock.today().year)
        duty_list = services.start_list(actor=request.user, unit=unit, year=year)
    except (ValidationError, ValueError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", ["年度不正确。"])))
        return redirect("yearplan_duty_index")
    messages.success(request, "已按适用的重点任务预填责任清单，请补充班子成员和责任部门事项。")
    return redirect("yearplan_duty_detail", duty_list.pk)


@login_required
def duty_detail(request: HttpRequest, pk: int) -> HttpResponse:
    duty_list = _duty_list(request, pk)
    may_write = can_write(request.user, duty_list)
    values: dict = {}
    errors: dict = {}
    if request.method == "POST":
        require(may_write, "您没有权限修改该责任清单。")
        values = request.POST
        try:
            deadline = (
                datetime.date.fromisoformat(values["deadline"]) if values.get("deadline") else None
            )
        except ValueError:
            errors = {"deadline": ["完成时限不是有效日期。"]}
        else:
            try:
                services.add_item(
                    actor=request.user,
                    duty_list=duty_list,
                    role=values.get("role", ""),
                    task=values.get("task", ""),
                    deadline=deadline,
                    person_name=values.get("person_name", ""),
                    portfolio=values.get("portfolio", ""),
                    department=values.get("department", ""),
                )
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(request, "事项已添加。")
                return redirect("yearplan_duty_detail", duty_list.pk)
    moves: list[Transition] = DUTY_LIST.moves_for(duty_list, request.user)
    return render(
        request,
        "yearplan/duty_detail.html",
        {
            "list": duty_list,
            "items": duty_list.items.select_related("key_task"),
            "may_write": may_write and duty_list.editable,
            "claiming": services.claiming_on(duty_list.unit),
            "moves": moves,
            "roles": DutyRole.choices,
            "values": values,
            "errors": errors,
        },
    )


@login_required
@require_POST
def duty_claim(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    duty_list = _duty_list(request, pk)
    require(can_write(request.user, duty_list), "您没有权限认领该事项。")
    item = get_object_or_404(DutyItem, duty_list=duty_list, pk=item_pk)
    try:
        services.claim_item(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已认领。")
    return redirect("yearplan_duty_detail", duty_list.pk)


@login_required
@require_POST
def duty_move(request: HttpRequest, pk: int) -> HttpResponse:
    duty_list = _duty_list(request, pk)
    target = request.POST.get("to", "")
    try:
        if target == DutyStatus.FILED:
            require(can_write(request.user, duty_list), "您没有权限报备该责任清单。")
            services.file_list(actor=request.user, duty_list=duty_list)
            messages.success(request, "已报上级组织部门备案。")
        else:
            require(can_review(request.user, duty_list), "您没有权限审核该责任清单。")
            services.review_list(
                actor=request.user,
                duty_list=duty_list,
                approve=target == DutyStatus.APPROVED,
                comment=request.POST.get("comment", ""),
            )
            messages.success(
                request, "已同意备案。" if target == DutyStatus.APPROVED else "已退回。"
            )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("yearplan_duty_detail", duty_list.pk)
