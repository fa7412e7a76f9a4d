"""Pages of 述职报告: the reader's reports, a round's reports, the editor with its live quality
checklist, the report page with review actions, versions and their comparison, attachments,
the Word file and the round's archive.

A report outside the reader's scope answers 404; a visible report the reader may not write or
review answers 403 on the pages that change it. Writes go through :mod:`services`.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuzhi.core.files import max_bytes_for, serve_file
from shuzhi.cycles.forms import apply_service_errors
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.exports.responses import DOCX, attachment
from shuzhi.kernel.loader import load
from shuzhi.kernel.scope import is_global
from shuzhi.reports.reports import archive, forms, policies, quality, services, versions, word
from shuzhi.reports.reports.models import (
    SECTIONS,
    Report,
    ReportAttachment,
    ReportStatus,
    draft_writers_q,
    in_drafts_circle,
)
from shuzhi.reports.reports.policies import (
    can_review_report,
    can_write_report,
    may_see_reporter,
    reports_visible_to,
)

PAGE_SIZE = 30
WRITER_ONLY = "只有述职单位的书记本人可以撰写该述职报告。"


def _visible_report(request: HttpRequest, pk: int) -> Report:
    return load(
        Report.objects.select_related(
            "reporter__unit", "reporter__person", "reporter__round__host", "author", "reviewer"
        ),
        request.user,
        not_found="述职报告不存在或不在您的查看范围内。",
        pk=pk,
    )


def _writable_report(request: HttpRequest, pk: int) -> Report:
    return load(
        Report.objects.select_related(
            "reporter__unit", "reporter__person", "reporter__round__host", "author", "reviewer"
        ),
        request.user,
        allowed=can_write_report,
        not_found="述职报告不存在或不在您的查看范围内。",
        denied=WRITER_ONLY,
        pk=pk,
    )


def _detail(report: Report):
    return redirect(reverse("report_detail", args=[report.pk]))


def _checks(report: Report) -> list[quality.Check]:
    return quality.run_checks(services.snapshot(report), report.reporter.round)


def _search(form: forms.ReportSearchForm) -> tuple[str, str]:
    if form.is_valid():
        return form.cleaned_data["q"].strip(), form.cleaned_data["status"]
    return "", ""


@login_required
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    """Reports the reader may see, newest round first; and the reports they have to write."""
    quality.warm_up_in_background()
    form = forms.ReportSearchForm(request.GET or None)
    text, status = _search(form)
    reports = reports_visible_to(request.user).select_related(
        "reporter__unit", "reporter__person", "reporter__round"
    )
    if text:
        reports = reports.filter(
            Q(reporter__unit__name__icontains=text)
            | Q(reporter__unit__code__startswith=text)
            | Q(title__icontains=text)
        )
    if status and status != "none":
        reports = reports.filter(status=status)
    reports = reports.order_by("-reporter__round__year", "reporter__unit__path", "pk")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    to_write = list(
        policies.writable_reporters(request.user)
        .filter(Q(report__isnull=True) | Q(report__status__in=services.EDITABLE))
        .select_related("unit", "round", "report")
        .order_by("-round__year", "unit__path")[:20]
    )
    rounds = list(
        Round.objects.visible_to(request.user, "report.review")
        .select_related("host")
        .order_by("-year", "host__path")[:20]
    )
    return render(
        request,
        "reports/report_index.html",
        {
            "form": form,
            "page": page,
            "q": text,
            "status": status,
            "to_write": to_write,
            "rounds": rounds,
        },
    )


def _hidden_draft_q(user, prefix: str = "") -> Q:
    """Reports (or, with ``prefix``, rows reaching them) that are drafts out of ``user``'s
    circle: they read as 未提交 to the reader. Matches nothing for a global administrator."""
    if is_global(user):
        return Q(pk__in=[])
    mine = draft_writers_q(user, prefix=f"{prefix}reporter__")
    return Q(**{f"{prefix}status": ReportStatus.DRAFT}) & ~mine


def _round_for_reports(request: HttpRequest, round_id: int) -> Round:
    return load(
        Round.objects.select_related("host"),
        request.user,
        view="report.view",
        not_found="年度述职评议不存在或不在您的查看范围内。",
        pk=round_id,
    )


def _page_of_reporters(reporters: QuerySet[RoundReporter], number: str | None) -> Page:
    """One page of a round's reporters: the page's ids are found on the reporters table alone
    (sorted, counted and offset without reading any report), then only those rows are read
    with their unit, person and the report's state — never the reports' bodies."""
    page = Paginator(
        reporters.order_by("sort_order", "id").values_list("pk", flat=True), PAGE_SIZE
    ).get_page(number)
    ids = list(page.object_list)
    rows = RoundReporter.objects.filter(pk__in=ids).select_related("unit", "person", "report")
    by_id = {
        reporter.pk: reporter
        for reporter in rows.only(
            "unit__name",
            "unit__code",
            "unit__path",
            "person__name",
            "report__status",
            "report__version",
            "report__submitted_at",
            "report__reporter_id",
        )
    }
    page.object_list = [by_id[pk] for pk in ids]
    return page


@login_required
@require_GET
def round_reports(request: HttpRequest, round_id: int) -> HttpResponse:
    """A round's reporters and the state of their reports, for the organiser and superior."""
    quality.warm_up_in_background()
    round = _round_for_reports(request, round_id)
    form = forms.ReportSearchForm(request.GET or None)
    text, status = _search(form)
    reporters = RoundReporter.objects.filter(round=round)
    # A draft stays with its writers: to everyone else its row reads 未提交, like a reporter
    # who has not started, in the rows, the filter and the counts alike.
    prefixed = _hidden_draft_q(request.user, prefix="report__")
    shown_status = Case(
        When(Q(report__isnull=True) | prefixed, then=Value("none")),
        default=F("report__status"),
        output_field=CharField(),
    )
    counts = dict(
        RoundReporter.objects.filter(round=round)
        .annotate(shown=shown_status)
        .values_list("shown")
        .annotate(n=Count("pk"))
        .values_list("shown", "n")
    )
    if text:
        reporters = reporters.filter(
            Q(unit__name__icontains=text)
            | Q(unit__code__startswith=text)
            | Q(person__name__icontains=text)
        )
    if status == "none":
        reporters = reporters.filter(Q(report__isnull=True) | prefixed)
    elif status:
        reporters = reporters.filter(report__status=status).exclude(prefixed)
    page = _page_of_reporters(reporters, request.GET.get("page"))
    for reporter in page:
        report = getattr(reporter, "report", None)
        reporter.shown_report = (
            None
            if report is not None
            and report.status == ReportStatus.DRAFT
            and not in_drafts_circle(request.user, reporter)
            else report
        )
    summary: list[tuple[str, int, str]] = [
        (str(s.label), counts.get(s.value, 0), s.value)
        for s in ReportStatus
        if s != ReportStatus.DRAFT or counts.get(s.value)
    ]
    summary.append(("未提交", counts.get("none", 0), "none"))
    submitted_total = sum(
        n for code, n in counts.items() if code not in (ReportStatus.DRAFT, "none")
    )
    return render(
        request,
        "reports/report_round.html",
        {
            "round": round,
            "form": form,
            "page": page,
            "q": text,
            "status": status,
            "summary": summary,
            "submitted_total": submitted_total,
            "archive_in_background": submitted_total > archive.inline_max(),
            "stored_archives": archive.stored_archives(round.pk)[:5],
        },
    )


@login_required
def round_archive(request: HttpRequest, round_id: int) -> HttpResponseBase:
    """Download the round's submitted reports as one zip of Word files — at once for a usual
    round, through a background task (and an inbox message) for a very large one."""
    round = _round_for_reports(request, round_id)
    reports = archive.archived_reports(Report.objects.filter(reporter__round=round))
    total = reports.count()
    if not total:
        messages.info(request, "本轮还没有已提交的述职报告可以归档。")
        return redirect(reverse("report_round", args=[round.pk]))
    if total > archive.inline_max():
        if request.method != "POST":
            return redirect(reverse("report_round", args=[round.pk]))
        archive.build_round_archive.enqueue(round.pk, cast(int, request.user.pk))
        messages.info(request, f"共 {total} 份报告，正在后台打包；完成后会在收件箱通知您下载。")
        return redirect(reverse("report_round", args=[round.pk]))
    out, _count = archive.write_zip(reports)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{round.host.name}-{round.year}年度述职报告.zip",
        content_type="application/zip",
    )


@login_required
@require_GET
def round_archive_file(request: HttpRequest, round_id: int, name: str) -> HttpResponseBase:
    """An archive built in the background (the inbox links here)."""
    round = _round_for_reports(request, round_id)
    if name not in archive.stored_archives(round.pk):
        raise Http404("归档文件不存在。")
    path = f"{archive.archive_dir(round.pk)}/{name}"
    return FileResponse(
        default_storage.open(path, "rb"),
        as_attachment=True,
        filename=f"{round.host.name}-{round.year}年度述职报告-{name}",
        content_type="application/zip",
    )


@login_required
@require_POST
def report_start(request: HttpRequest, reporter_id: int) -> HttpResponse:
    """Open (creating on first use) the report of a reporter the reader writes for."""
    # Visible through the reporting unit or the round's host (as the report's own page and the
    # API judge it): 403; otherwise the reporter is hidden like a missing one.
    reporter = load(
        RoundReporter.objects.select_related("unit", "round__host", "person"),
        request.user,
        visible=may_see_reporter,
        allowed=can_write_report,
        not_found="述职对象不存在或不在您的范围内。",
        denied=WRITER_ONLY,
        pk=reporter_id,
    )
    report = services.ensure_report(actor=request.user, reporter=reporter)
    return redirect(reverse("report_edit", args=[report.pk]))


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor: the whole report on one page; the checklist refreshes as drafts are saved
    (htmx posts the form on change and swaps the checklist)."""
    report = _writable_report(request, pk)
    if report.status not in services.EDITABLE:
        messages.info(request, f"报告当前状态为“{report.get_status_display()}”，不能修改。")
        return _detail(report)
    if request.method == "GET":
        # Problems of last year recorded since the draft was opened join it here.
        report = services.ensure_report(actor=request.user, reporter=report.reporter)
    form = forms.ReportEditForm(request.POST or None, report=report)
    is_htmx = request.headers.get("HX-Request") == "true"
    saved = False
    if request.method == "POST":
        if form.is_valid():
            try:
                report = services.save_draft(
                    actor=request.user, report=report, **form.service_kwargs()
                )
                saved = True
                if not is_htmx and request.POST.get("action") == "submit":
                    report = services.submit(actor=request.user, report=report)
                    messages.success(request, f"已提交第 {report.version} 版，等待上级审核。")
                    return _detail(report)
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
        if is_htmx:
            return render(
                request,
                "reports/report_checklist.html",
                {
                    "report": report,
                    "checks": _checks(report),
                    "saved": saved,
                    "form": form,
                    "autosave": True,
                },
            )
        if saved and not form.errors:
            messages.success(request, "草稿已保存。")
            return redirect(reverse("report_edit", args=[report.pk]))
    last_return = (
        report.events.filter(to_status=ReportStatus.RETURNED).order_by("-at", "-id").first()
    )
    return render(
        request,
        "reports/report_edit.html",
        {
            "report": report,
            "form": form,
            "checks": _checks(report),
            "attachments": list(report.attachments.all()),
            "attachment_form": forms.AttachmentForm(),
            "last_return": last_return,
            "max_document_mb": max_bytes_for("document") // (1024 * 1024),
            "max_video_mb": max_bytes_for("video") // (1024 * 1024),
        },
    )


@login_required
@require_GET
def report_checks(request: HttpRequest, pk: int) -> HttpResponse:
    """The checklist fragment (for the reviewer's refresh, and the API's twin)."""
    report = _visible_report(request, pk)
    return render(
        request, "reports/report_checklist.html", {"report": report, "checks": _checks(report)}
    )


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as written, its checklist, history, versions, attachments and actions."""
    return _render_detail(request, _visible_report(request, pk))


def _render_detail(
    request: HttpRequest, report, *, review_form: forms.ReviewForm | None = None
) -> HttpResponse:
    """The report page; a refused review comes back with the comment as typed."""
    content = services.snapshot(report)
    moves = services.allowed_moves(report, request.user)
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "content": content,
            "section_list": [
                (label, content["sections"].get(code, "")) for code, label in SECTIONS
            ],
            "checks": quality.run_checks(content, report.reporter.round),
            "events": list(report.events.select_related("actor").order_by("at", "id")),
            "versions": list(report.versions.order_by("-number")),
            "attachments": list(report.attachments.all()),
            "can_write": can_write_report(request.user, report)
            and report.status in services.EDITABLE,
            "can_review": any(m.permission == "reviewer" for m in moves),
            "can_submit": any(m.permission == "writer" for m in moves),
            "review_form": review_form or forms.ReviewForm(),
        },
    )


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _writable_report(request, pk)
    try:
        report = services.submit(actor=request.user, report=report)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"已提交第 {report.version} 版，等待上级审核。")
    return _detail(report)


@login_required
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Return (with comments) or accept a submitted report."""
    report = _visible_report(request, pk)
    if not can_review_report(request.user, report):
        raise PermissionDenied("只有主办组织的审核人员可以审核该述职报告。")
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            report = services.transition(
                actor=request.user,
                report=report,
                to_status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"述职报告现为“{report.get_status_display()}”。")
            return _detail(report)
    return _render_detail(request, report, review_form=form)


@login_required
@require_GET
def report_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """The submitted versions, and the comparison of two of them."""
    report = _visible_report(request, pk)
    all_versions = list(report.versions.select_related("created_by").order_by("-number"))
    numbers = [v.number for v in all_versions]
    initial = {"a": numbers[1] if len(numbers) > 1 else None, "b": numbers[0] if numbers else None}
    form = forms.CompareForm(request.GET or None, initial=initial)
    parts, a, b, view = None, None, None, "side"
    if form.is_valid():
        a, b = form.cleaned_data["a"], form.cleaned_data["b"]
        view = form.cleaned_data["view"] or "side"
    elif not request.GET and len(numbers) > 1:
        a, b = numbers[1], numbers[0]
    if a and b:
        by_number = {v.number: v for v in all_versions}
        if a not in by_number or b not in by_number:
            form.add_error(None, "所选版本不存在。")
        else:
            parts = versions.compare(by_number[a].content, by_number[b].content)
    return render(
        request,
        "reports/report_versions.html",
        {
            "report": report,
            "versions": all_versions,
            "form": form,
            "parts": parts,
            "a": a,
            "b": b,
            "view": view,
        },
    )


@login_required
@require_GET
def report_word(request: HttpRequest, pk: int) -> HttpResponse:
    """The report (latest submitted version, else the draft) as an official-style .docx."""
    report = _visible_report(request, pk)
    return attachment(
        word.report_docx(report),
        filename=word.filename(report),
        content_type=DOCX,
        ascii_name=f"report-{report.pk}.docx",
        no_store=True,
    )


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    report = _writable_report(request, pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件。")
    else:
        try:
            attachment = services.add_attachment(
                actor=request.user, report=report, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"已上传附件“{attachment.name}”。")
    return redirect(reverse("report_edit", args=[report.pk]))


def _attachment(request: HttpRequest, pk: int, attachment_id: int) -> ReportAttachment:
    report = _visible_report(request, pk)
    return get_object_or_404(ReportAttachment, pk=attachment_id, report=report)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    attachment = _attachment(request, pk, attachment_id)
    return serve_file(attachment.file, attachment.name)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    attachment = _attachment(request, pk, attachment_id)
    try:
        services.delete_attachment(actor=request.user, attachment=attachment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"已删除附件“{attachment.name}”。")
    return redirect(reverse("report_edit", args=[pk]))
