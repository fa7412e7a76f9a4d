"""Pages for one problem and its three lists: recording, the detail page (problem,
responsibility, rectification; transitions, notes, evidence, history, the year chain),
editing, the source list and year rollover (年度结转).

Anything outside the reader's scope answers 404; visible but not allowed answers 403.
Writes go through :mod:`services`; a refused action comes back as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuzhi.core import clock
from shuzhi.core.files import serve_file
from shuzhi.cycles.forms import apply_service_errors
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit

from . import forms, services
from .models import Evidence, Problem, ProblemSource, ProgressNote
from .policies import (
    can_carry_over,
    can_manage_sources,
    can_problem,
    can_view_sources,
    carry_over_roots,
    may_carry_over_somewhere,
    top_depth,
)
from .transitions import PROBLEM

UNIT_PICKER_LIMIT = 300
SOURCES_PER_PAGE = 50


def _visible_problem(request: HttpRequest, pk: int) -> Problem:
    return load(
        Problem.objects.select_related(
            "unit",
            "source",
            "recorded_by",
            "verifier",
            "carried_from",
            "carried_to",
            "critique",
            "round",
        ),
        request.user,
        not_found="问题不存在或不在您的查看范围内。",
        pk=pk,
    )


def _page(problem: Problem) -> str:
    return reverse("problem_detail", args=[problem.pk])


def _can_work(user, problem: Problem) -> bool:
    return any(can_problem(user, action, problem) for action in services.WORK_ACTIONS)


def _unit_choices(request: HttpRequest):
    """Units the user may record problems in, kept small enough for one select: the whole
    scope when it is small, else one level below ``?unit=`` (or below the top of the scope)."""
    in_scope = Unit.objects.visible_to(request.user, "problem.create").filter(status="active")
    anchor = None
    if request.GET.get("unit", "").isdigit():
        anchor = in_scope.filter(pk=int(request.GET["unit"])).first()
    if anchor is not None:
        return in_scope.filter(path__startswith=anchor.path, depth__lte=anchor.depth + 1).order_by(
            "path"
        ), anchor
    if in_scope[: UNIT_PICKER_LIMIT + 1].count() <= UNIT_PICKER_LIMIT:
        return in_scope.order_by("path"), None
    top = top_depth(request.user, "problem.create")
    return in_scope.filter(depth__lte=top + 1).order_by("path"), None


@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    """Record a problem (问题清单) with its responsibility and rectification parts."""
    units, anchor = _unit_choices(request)
    if not units.exists():
        raise PermissionDenied("您没有权限登记问题。")
    initial = {"unit": anchor.pk} if anchor is not None else {}
    form = forms.ProblemCreateForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            problem = services.create_problem(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"问题已登记，序号 {problem.serial}。")
            return redirect(_page(problem))
    return render(request, "rectification/problem_form.html", {"form": form, "creating": True})


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One item's three lists on one page, its moves, notes, evidence and history."""
    return _detail(request, _visible_problem(request, pk))


def _detail(
    request: HttpRequest,
    problem: Problem,
    *,
    move_form: forms.TransitionForm | None = None,
    note_form: forms.NoteForm | None = None,
    evidence_form: forms.EvidenceForm | None = None,
) -> HttpResponse:
    """The item's page; a refused form passed in comes back bound, with what was typed and the
    error beside its field, in place of its empty twin."""
    user = request.user
    notes = list(
        ProgressNote.objects.filter(problem=problem).select_related("author").order_by("on", "id")
    )
    evidence = list(
        Evidence.objects.filter(problem=problem)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "id")
    )
    history = list(problem.transitions.order_by("at", "id"))
    carried_to = getattr(problem, "carried_to", None)
    finished = problem.status == "closed" or carried_to is not None
    moves = []
    if not finished:
        for move in PROBLEM.moves_for(problem, user):
            moves.append(
                {
                    "to": move.target,
                    "move": move,
                    "closing": move.target == "closed",
                    "form": move_form
                    if move_form is not None and move_form.data.get("to_status") == move.target
                    else forms.TransitionForm(initial={"to_status": move.target}),
                }
            )
    can_work = not finished and _can_work(user, problem)
    context = {
        "problem": problem,
        "overdue": problem.is_overdue(clock.today()),
        "notes": notes,
        "evidence": evidence,
        "history": history,
        "moves": moves,
        "carried_to": carried_to,
        "can_work": can_work,
        "note_form": (note_form or forms.NoteForm()) if can_work else None,
        "evidence_form": (evidence_form or forms.EvidenceForm()) if can_work else None,
    }
    return render(request, "rectification/problem_detail.html", context)


@login_required
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    if not _can_work(request.user, problem):
        raise PermissionDenied("您没有权限修改该问题。")
    can_edit_record = can_problem(request.user, "problem.create", problem) or can_problem(
        request.user, "problem.verify", problem
    )
    initial = {name: getattr(problem, name) for name in services.UPDATABLE_FIELDS}
    form = forms.ProblemEditForm(
        request.POST or None, problem=problem, can_edit_record=can_edit_record, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in forms.ProblemEditForm.RECORD_FIELDS or can_edit_record
        }
        try:
            services.update_problem(actor=request.user, problem=problem, **fields)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "问题已保存。")
            return redirect(_page(problem))
    return render(
        request,
        "rectification/problem_form.html",
        {"form": form, "problem": problem, "creating": False},
    )


@login_required
@require_POST
def problem_transition(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        return _detail(request, problem, move_form=form)
    try:
        services.transition(actor=request.user, problem=problem, **form.cleaned_data)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _detail(request, problem, move_form=form)
    problem.refresh_from_db(fields=["status"])
    messages.success(request, f"状态已变更为“{services.status_label(problem.status)}”。")
    return redirect(_page(problem))


@login_required
@require_POST
def problem_note(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(actor=request.user, problem=problem, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "整改进展已记录。")
            return redirect(_page(problem))
    return _detail(request, problem, note_form=form)


@login_required
@require_POST
def problem_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    form = forms.EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, problem, evidence_form=form)
    try:
        services.add_evidence(
            actor=request.user,
            problem=problem,
            upload=form.cleaned_data["file"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _detail(request, problem, evidence_form=form)
    messages.success(request, "佐证材料已上传。")
    return redirect(_page(problem))


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """Serve an evidence file to whoever may see the problem — never from MEDIA_ROOT."""
    problem = _visible_problem(request, pk)
    evidence = get_object_or_404(Evidence, problem=problem, pk=evidence_pk)
    return serve_file(evidence.file, evidence.name)


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    """The problem sources, searchable and paged; administrators add, rename and switch
    them off here."""
    manage = can_manage_sources(request.user)
    if not can_view_sources(request.user):
        raise PermissionDenied("您没有权限查看问题来源。")
    add_form = forms.SourceForm(request.POST or None) if manage else None
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("您没有权限管理问题来源。")
        if add_form is not None and add_form.is_valid():
            try:
                services.add_source(actor=request.user, name=add_form.cleaned_data["name"])
            except ValidationError as exc:
                apply_service_errors(add_form, exc)
            else:
                messages.success(request, "问题来源已添加。")
                return redirect("problem_sources")
    search = forms.SourceSearchForm(request.GET or None)
    sources = ProblemSource.objects.order_by("sort_order", "id")
    if search.is_valid() and search.cleaned_data.get("q"):
        sources = sources.filter(name__icontains=search.cleaned_data["q"])
    page = Paginator(sources.values("id", "code", "name", "is_active", "builtin"), SOURCES_PER_PAGE)
    page_obj = page.get_page(request.GET.get("page"))
    return render(
        request,
        "rectification/problem_sources.html",
        {
            "page_obj": page_obj,
            "search": search,
            "add_form": add_form,
            "manage": manage,
            "protected": services.PROTECTED_SOURCE_CODES,
        },
    )


@login_required
@require_POST
def source_change(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_manage_sources(request.user):
        raise PermissionDenied("您没有权限管理问题来源。")
    source = get_object_or_404(ProblemSource, pk=pk)
    op = request.POST.get("op")
    try:
        if op == "rename":
            services.rename_source(
                actor=request.user, source=source, name=request.POST.get("name", "")
            )
            messages.success(request, "已改名。")
        elif op in {"activate", "deactivate"}:
            services.set_source_active(
                actor=request.user, source=source, is_active=op == "activate"
            )
            messages.success(request, "已启用。" if op == "activate" else "已停用。")
        elif op == "delete":
            services.delete_source(actor=request.user, source=source)
            messages.success(request, "已删除。")
        else:
            messages.error(request, "未知的操作。")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("problem_sources")


@login_required
def carry_over(request: HttpRequest) -> HttpResponse:
    """Year rollover for organisers: choose the year and scope, see how many items would be
    carried, then confirm."""
    allow_all, root_paths = carry_over_roots(request.user)
    roots = Unit.objects.filter(path__in=root_paths).order_by("path")
    if not may_carry_over_somewhere(request.user):
        raise PermissionDenied("您没有权限进行年度结转。")
    data = request.POST if request.method == "POST" else (request.GET or None)
    initial = {"root": roots[0].pk} if root_paths else {}
    form = forms.CarryOverForm(data, roots=roots, allow_all=allow_all, initial=initial)
    preview = None
    if data is not None and form.is_valid():
        year = form.cleaned_data["from_year"]
        root = form.cleaned_data.get("root")
        if not can_carry_over(request.user, root):
            raise PermissionDenied("您没有权限进行年度结转。")
        if request.method == "POST" and request.POST.get("confirm") == "1":
            try:
                count = services.carry_over(actor=request.user, from_year=year, root=root)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"已将 {count} 个未销号问题转入{year + 1}年度（上年度遗留）。"
                )
                return redirect(
                    f"{reverse('problem_carry_over')}?from_year={year}"
                    + (f"&root={root.pk}" if root else "")
                )
        preview = services.carry_over_preview(from_year=year, root=root)
        preview["year"] = year
        preview["to_year"] = year + 1
    return render(
        request, "rectification/problem_carry_over.html", {"form": form, "preview": preview}
    )
