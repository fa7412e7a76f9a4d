"""Unit import and export API, mounted under ``/api/units``.

- ``POST /api/units/import`` (multipart: ``file``, ``good_rows_only``) queues an import job and
  answers its id;
- ``GET /api/units/import/{id}`` answers the job's status, counts and first errors (a job of
  another user answers 404);
- ``GET /api/units/export?unit=CODE&format=csv|xlsx`` answers the subtree file.

The job runs in the background exactly as one started from the page.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from shuzhi.exports.responses import attachment
from shuzhi.kernel.loader import load
from shuzhi.orgs.imports import exporting
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportJob

router = Router(tags=["组织导入导出"])


class UnitImportStartOut(Schema):
    id: int
    status: str


class ImportJobOut(Schema):
    id: int
    kind: str
    file_name: str
    good_rows_only: bool
    status: str
    status_label: str
    total_rows: int
    processed_rows: int
    created: int
    updated: int
    unchanged: int
    error_count: int
    errors: list[tuple[int, str, str]]
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


def _job_out(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.file_name,
        "good_rows_only": job.good_rows_only,
        "status": job.status,
        "status_label": job.get_status_display(),
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "error_count": job.error_count,
        "errors": [tuple(e) for e in job.errors],
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post("/import", response={201: UnitImportStartOut}, summary="上传文件导入组织")
def start_import(
    request,
    file: UploadedFile = File(..., description="CSV 或 XLSX 文件"),  # noqa: B008
    good_rows_only: bool = Form(False, description="只导入无误的行"),
    accept_question_marks: bool = Form(False, description="确认名称中的问号无误"),
):
    job = importing.create_job(
        actor=request.auth,
        file_name=file.name or "",
        content=file,
        good_rows_only=good_rows_only,
        accept_question_marks=accept_question_marks,
    )
    job.refresh_from_db(fields=["status"])
    return Status(201, {"id": job.pk, "status": job.status})


@router.get("/import/{int:job_id}", response=ImportJobOut, summary="导入任务的状态与结果")
def get_import(request, job_id: int):
    job = load(ImportJob.objects.visible_to(request.auth), request.auth, narrowed=True, pk=job_id)
    return _job_out(job)


@router.get("/export", summary="导出组织及其下级（CSV 或 XLSX）")
def export(request, unit: str, format: str = "csv"):
    if format not in exporting.FORMATS:
        raise ValidationError({"format": "导出格式只能是 csv 或 xlsx。"})
    top = exporting.unit_for_export(request.auth, unit)
    data = exporting.export_units(actor=request.auth, unit=top, file_format=format)
    name = exporting.export_file_name(top, format)
    return attachment(data, filename=name, content_type=exporting.FORMATS[format])
