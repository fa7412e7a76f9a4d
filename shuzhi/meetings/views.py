"""Pages for a review meeting: the session page (agenda, live draw, roster summary), the
roster and sign-in page, and the chair's agenda view refreshed by htmx.

Anything outside the reader's scope answers 404; visible but not changeable answers 403.
Writes go through :mod:`services`; a refused action comes back as a message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuzhi.cycles.forms import apply_service_errors
from shuzhi.cycles.models import Round
from shuzhi.kernel.loader import load
from shuzhi.orgs.imports.tabular import TabularError, read_table

from . import forms, selectors, services
from .models import RosterCategory, RosterMember, Session, SessionReporter, SessionStatus
from .policies import can_session


def _visible_session(request: HttpRequest, pk: int, action: str | None = None) -> Session:
    return load(
        Session.objects.select_related("round", "round__host"),
        request.user,
        action,
        not_found="会议不存在或不在您的查看范围内。",
        denied="您没有权限管理该会议。",
        pk=pk,
    )


def _changeable_session(request: HttpRequest, pk: int) -> Session:
    return _visible_session(request, pk, "round.change")


def _act(request: HttpRequest, run: Callable[[], str], back: str) -> HttpResponse:
    """Run a service call; show its message or its refusal and go back."""
    try:
        message = run()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect(back)


def _page(session: Session) -> str:
    return reverse("session_detail", args=[session.pk])


def _roster_page(session: Session) -> str:
    return reverse("session_roster", args=[session.pk])


@login_required
def session_create(request: HttpRequest, round_pk: int) -> HttpResponse:
    """Schedule a session of a round (the top-down rule is checked on the date)."""
    round = load(
        Round.objects.select_related("host"),
        request.user,
        "round.change",
        denied="您没有权限为该年度述职评议安排会议。",
        pk=round_pk,
    )
    form = forms.SessionForm(request.POST or None, initial={"title": f"{round.year}年度述职评议会"})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.create_session(actor=request.user, round=round, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "会议已安排。请添加述职人并确定现场述职人。")
            return redirect(_page(session))
    return render(
        request, "meetings/session_form.html", {"round": round, "form": form, "title": "安排会议"}
    )


@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)
    form = forms.SessionForm(
        request.POST or None,
        initial={"title": session.title, "date": session.date, "place": session.place},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_session(actor=request.user, session=session, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect(_page(session))
    return render(
        request,
        "meetings/session_form.html",
        {"round": session.round, "session": session, "form": form, "title": "修改会议"},
    )


@login_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The session: status, agenda with modes and order, live draw, roster and quorum."""
    return _detail(request, _visible_session(request, pk))


def _detail(
    request: HttpRequest, session: Session, draw_form: forms.DrawForm | None = None
) -> HttpResponse:
    """The session page; ``draw_form`` is a refused draw, shown again as it was typed."""
    can_change = can_session(request.user, "round.change", session)
    agenda = selectors.agenda(session)
    categories = list(session.categories.all())
    return render(
        request,
        "meetings/session_detail.html",
        {
            "session": session,
            "round": session.round,
            "can_change": can_change,
            "agenda": agenda,
            "categories": categories,
            "quorum": selectors.quorum_status(session),
            "next_statuses": [
                (s, SessionStatus(s).label) for s in services.allowed_transitions(session.status)
            ],
            "draw_form": draw_form
            or forms.DrawForm(
                entries=agenda.entries,
                initial={
                    "method": session.live_draw_method,
                    "live_count": session.live_count,
                    "chosen": [e.pk for e in agenda.live],
                },
            ),
            "is_planned": session.status == SessionStatus.PLANNED,
            "today": timezone.localdate(),
            "is_open": session.status in services.OPEN_STATUSES,
        },
    )


@login_required
@require_POST
def session_status(request: HttpRequest, pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)
    status = request.POST.get("status", "")

    def run() -> str:
        services.transition_session(
            actor=request.user,
            session=session,
            status=status,
            confirm_date=request.POST.get("confirm_date") == "1",
        )
        return f"会议状态已改为“{SessionStatus(status).label}”。"

    return _act(request, run, _page(session))


@login_required
@require_POST
def session_add_reporters(request: HttpRequest, pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)

    def run() -> str:
        added = services.add_session_reporters(actor=request.user, session=session)
        return f"已添加 {len(added)} 位述职人。"

    return _act(request, run, _page(session))


def _entry(request: HttpRequest, pk: int, entry_pk: int) -> SessionReporter:
    session = _changeable_session(request, pk)
    entry = get_object_or_404(
        SessionReporter.objects.select_related("reporter__unit"), session=session, pk=entry_pk
    )
    entry.session = session
    return entry


@login_required
@require_POST
def entry_move(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _entry(request, pk, entry_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1

    def run() -> str:
        services.move_session_reporter(actor=request.user, entry=entry, offset=offset)
        return "顺序已调整。"

    return _act(request, run, _page(entry.session))


@login_required
@require_POST
def entry_mode(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _entry(request, pk, entry_pk)

    def run() -> str:
        services.set_report_mode(actor=request.user, entry=entry, mode=request.POST.get("mode", ""))
        return f"已更新“{entry.reporter.unit.name}”的述职方式。"

    return _act(request, run, _page(entry.session))


@login_required
@require_POST
def entry_remove(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _entry(request, pk, entry_pk)

    def run() -> str:
        services.remove_session_reporter(actor=request.user, entry=entry)
        return f"已从议程中移除“{entry.reporter.unit.name}”。"

    return _act(request, run, _page(entry.session))


@login_required
@require_POST
def session_draw(request: HttpRequest, pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)
    entries = list(session.reporters.select_related("reporter__unit"))
    form = forms.DrawForm(request.POST, entries=entries)
    if form.is_valid():
        try:
            live = services.draw_live(
                actor=request.user,
                session=session,
                method=form.cleaned_data["method"],
                live_count=form.cleaned_data["live_count"],
                chosen=form.cleaned_data["chosen"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            names = "、".join(e.reporter.unit.name for e in live)
            messages.success(request, f"已确定现场述职 {len(live)} 人：{names}")
            return redirect(_page(session))
    # Refused: the page again with the method, count and choices as typed, errors beside them.
    messages.error(request, "现场述职人员未能确定，请按提示修改。")
    return _detail(request, session, draw_form=form)


@login_required
@require_GET
def draw_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Replay the recorded draw from its seed and compare it with the agenda."""
    session = _visible_session(request, pk)
    return render(
        request,
        "meetings/draw_check.html",
        {"session": session, "round": session.round, "check": selectors.replay_draw(session)},
    )


# --- Roster -----------------------------------------------------------------------------------


@login_required
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    """Categories with 应到/实到, named members and sign-in, and the members import."""
    return _roster(request, _visible_session(request, pk))


def _roster(
    request: HttpRequest, session: Session, refused: tuple[int, forms.CountsForm] | None = None
) -> HttpResponse:
    """The roster page; ``refused`` is a category's counts form that was refused, whose typed
    numbers and errors are shown in that category's row."""
    categories = list(session.categories.prefetch_related("members"))
    for category in categories:
        if refused is not None and refused[0] == category.pk:
            form = refused[1]
            category.typed = {  # type: ignore[attr-defined]
                "expected": form.data.get("expected", ""),
                "present": form.data.get("present", ""),
                "errors": [
                    f"{form.fields[name].label}：{e}" if name in form.fields else e
                    for name, errors in form.errors.items()
                    for e in errors
                ],
            }
    return render(
        request,
        "meetings/roster.html",
        {
            "session": session,
            "round": session.round,
            "categories": categories,
            "quorum": selectors.quorum_status(session),
            "can_change": can_session(request.user, "round.change", session),
            "is_open": session.status in services.OPEN_STATUSES,
            "file_form": forms.MembersFileForm(),
            "row_errors": [],
        },
    )


@login_required
@require_POST
def roster_init(request: HttpRequest, pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)

    def run() -> str:
        categories = services.init_roster(actor=request.user, session=session)
        return f"已按本年度规则生成 {len(categories)} 个参评人员类别。"

    return _act(request, run, _roster_page(session))


def _category(request: HttpRequest, pk: int, category_pk: int) -> RosterCategory:
    session = _changeable_session(request, pk)
    category = get_object_or_404(RosterCategory, session=session, pk=category_pk)
    category.session = session
    return category


@login_required
@require_POST
def category_counts(request: HttpRequest, pk: int, category_pk: int) -> HttpResponse:
    category = _category(request, pk, category_pk)
    form = forms.CountsForm(request.POST)
    if form.is_valid():
        try:
            services.set_category_counts(
                actor=request.user,
                category=category,
                expected=form.cleaned_data["expected"],
                present=form.cleaned_data["present"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已更新“{category.label}”的人数。")
            return redirect(_roster_page(category.session))
    # Refused: the roster again with this category's numbers as typed and the error beside them.
    messages.error(request, "人数未能保存，请按提示修改。")
    return _roster(request, category.session, refused=(category.pk, form))


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int, category_pk: int) -> HttpResponse:
    category = _category(request, pk, category_pk)
    name = request.POST.get("name", "")

    def run() -> str:
        member = services.add_member(actor=request.user, category=category, name=name)
        return f"已添加“{member.name}”。"

    return _act(request, run, _roster_page(category.session))


@login_required
@require_POST
def member_sign(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)
    member = get_object_or_404(
        RosterMember.objects.select_related("category"), category__session=session, pk=member_pk
    )
    member.category.session = session
    signed = request.POST.get("signed_in") == "1"

    def run() -> str:
        services.sign_in(actor=request.user, member=member, signed_in=signed)
        return f"“{member.name}”{'已签到' if signed else '已取消签到'}。"

    return _act(request, run, _roster_page(session) + f"#cat-{member.category_id}")


@login_required
@require_POST
def members_import(request: HttpRequest, pk: int) -> HttpResponse:
    session = _changeable_session(request, pk)
    form = forms.MembersFileForm(request.POST, request.FILES)
    row_errors: list = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count, row_errors = services.import_members(
                actor=request.user, session=session, table=read_table(upload.name, upload.file)
            )
        except (TabularError, ValidationError) as exc:
            form.add_error("file", str(exc) if isinstance(exc, TabularError) else exc.messages)
        else:
            if not row_errors:
                messages.success(request, f"已导入参评人员 {count} 名。")
                return redirect(_roster_page(session))
    categories = list(session.categories.prefetch_related("members"))
    return render(
        request,
        "meetings/roster.html",
        {
            "session": session,
            "round": session.round,
            "categories": categories,
            "quorum": selectors.quorum_status(session),
            "can_change": True,
            "is_open": session.status in services.OPEN_STATUSES,
            "file_form": form,
            "row_errors": row_errors,
        },
    )


# --- The chair's agenda -----------------------------------------------------------------------


def _agenda_context(request: HttpRequest, session: Session) -> dict:
    return {
        "session": session,
        "round": session.round,
        "agenda": selectors.agenda(session),
        "can_change": can_session(request.user, "round.change", session),
        "in_progress": session.status == SessionStatus.IN_PROGRESS,
    }


@login_required
@require_GET
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair's view: who speaks now and for how long, who is next, the written reports."""
    session = _visible_session(request, pk)
    return render(request, "meetings/agenda.html", _agenda_context(request, session))


@login_required
@require_GET
def agenda_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The agenda panel alone, polled by htmx every 5 seconds."""
    session = _visible_session(request, pk)
    return render(request, "meetings/_agenda_panel.html", _agenda_context(request, session))


@login_required
@require_POST
def speaker(request: HttpRequest, pk: int, entry_pk: int, action: str) -> HttpResponse:
    entry = _entry(request, pk, entry_pk)
    if action not in ("start", "finish"):
        raise Http404

    def run() -> str:
        if action == "start":
            services.start_speaker(actor=request.user, entry=entry)
            return f"“{entry.reporter.unit.name}”开始述职。"
        services.finish_speaker(actor=request.user, entry=entry)
        return f"“{entry.reporter.unit.name}”述职结束。"

    return _act(request, run, reverse("session_agenda", args=[entry.session.pk]))
