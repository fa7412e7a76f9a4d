"""The shared job pages of every import: the list, a job with its progress, its error report.

Each kind keeps its own URLs (``/units/import/jobs/<id>/``, ``/problems/import/<id>/`` …) and
passes its kind to these views; a kind without pages of its own is served under
``/imports/<kind>/<id>/``. A job is looked up among the jobs its importer lets the user see
(their own; every job for superusers), so another user's job answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.files.base import File
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shuzhi.kernel.loader import load

from .jobs import Importer, importer_for, importers

PAGE_ERRORS = 100
RECENT_JOBS = 50


def _importer(kind: str) -> Importer:
    try:
        return importer_for(kind)
    except KeyError:
        raise Http404("没有这种导入。") from None


def _job(request: HttpRequest, kind: str, pk: int) -> tuple[Importer, Any]:
    importer = _importer(kind)
    return importer, load(
        importer.jobs_visible_to(request.user), request.user, narrowed=True, pk=pk
    )


def _context(importer: Importer, job: Any) -> dict[str, Any]:
    page = importer.page(job)
    return {
        "job": job,
        "page": page,
        "importer": importer,
        "page_errors": page.errors[:PAGE_ERRORS],
        "page_limit": PAGE_ERRORS,
        "status_url": importer.url("status", job),
        "report_url": importer.url("errors", job) if page.report_label else "",
        "upload_url": importer.upload_url(),
    }


@login_required
@require_GET
def job_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One job: status, progress, counts, the problems found."""
    importer, job = _job(request, kind, pk)
    return render(request, "core/import_job.html", _context(importer, job))


@login_required
@require_GET
def job_status(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The status panel alone, polled by htmx while the job runs."""
    importer, job = _job(request, kind, pk)
    return render(request, "core/import_job_status.html", _context(importer, job))


@login_required
@require_GET
def job_errors(request: HttpRequest, kind: str, pk: int) -> HttpResponse | FileResponse:
    """The job's full error report (CSV or Excel, as the kind keeps it)."""
    importer, job = _job(request, kind, pk)
    report = importer.error_report(job)
    if report is None:
        raise Http404("没有错误报告。")
    content, file_name, content_type = report
    if isinstance(content, File) or hasattr(content, "read"):
        return FileResponse(
            content, as_attachment=True, filename=file_name, content_type=content_type
        )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """The user's recent imports of every kind, newest first."""
    rows = []
    for importer in importers():
        jobs = importer.jobs_visible_to(request.user).order_by("-created_at", "-pk")
        for job in jobs[:RECENT_JOBS]:
            rows.append((job.created_at, importer, job, importer.page(job)))
    rows.sort(key=lambda row: row[0], reverse=True)
    return render(
        request,
        "core/import_jobs.html",
        {
            "rows": [
                {
                    "importer": importer,
                    "job": job,
                    "page": page,
                    "url": importer.url("detail", job),
                }
                for _at, importer, job, page in rows[:RECENT_JOBS]
            ]
        },
    )
