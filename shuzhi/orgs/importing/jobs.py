"""Import jobs: run the stages and record progress and errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from shuzhi.core import audit
from shuzhi.core.progress import JobProgress

from ..import_models import MAX_STORED_ERRORS, ImportJob, ImportKind, ImportStatus
from ..policies import may_import_units
from ..tabular import (
    RowError,
    TabularError,
    errors_as_csv,
)
from .common import ImportRefused, logger
from .planning import plan_units
from .reading import check_file_name, read_units_file
from .writing import _lock_units, write_plan

# --------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------


def create_job(
    *,
    actor,
    file_name: str,
    content: File | bytes,
    good_rows_only: bool = False,
    enqueue: bool = True,
) -> ImportJob:
    """Store an uploaded file as a new unit import job and queue it after the commit.

    Refuses users who may not import anywhere and files that are not .csv or .xlsx.
    """
    if not may_import_units(actor):
        raise PermissionDenied("您没有导入组织的权限。")
    file_name = Path(file_name or "").name
    check_file_name(file_name)
    size = len(content) if isinstance(content, bytes) else content.size
    limit = settings.SHUZHI_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(
            {"file": f"文件太大（{size // 1048576} MB），上限为 {limit // 1048576} MB。"}
        )
    if size == 0:
        raise ValidationError({"file": "文件是空的。"})
    upload = ContentFile(content) if isinstance(content, bytes) else content
    with transaction.atomic():
        job = ImportJob(
            kind=ImportKind.UNITS,
            file_name=file_name[:255],
            good_rows_only=good_rows_only,
            created_by=actor,
        )
        job.file.save(file_name, upload, save=False)
        job.save()
        if enqueue:
            from ..tasks import run_import_job

            transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def _save_errors(job: ImportJob, errors: Sequence[RowError]) -> None:
    job.error_count = len(errors)
    job.errors = [[e.row, e.column, e.message] for e in errors[:MAX_STORED_ERRORS]]
    if errors:
        job.error_report.save(
            f"import-{job.pk}-errors.csv", ContentFile(errors_as_csv(list(errors))), save=False
        )


def _finish_failed(job: ImportJob, errors: Sequence[RowError], total_rows: int) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.total_rows = total_rows
    job.processed_rows = 0
    job.created_count = job.updated_count = job.unchanged_count = 0
    job.finished_at = timezone.now()
    _save_errors(job, errors)
    job.save()
    return job


def run_job(job_id: int) -> ImportJob:
    """Run a unit import job to the end: parse, validate, write, audit, record the result.

    Runs in the background task, or directly from the management command. A job that has
    already finished is returned as it is, so a retried task does nothing twice.
    """
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.is_finished:
        return job
    if job.kind != ImportKind.UNITS:
        raise ValueError(f"Import job {job.pk} is not a unit import ({job.kind}).")
    actor = job.created_by
    progress = JobProgress(job)
    progress.set(status=ImportStatus.VALIDATING, processed_rows=0, force=True)
    try:
        with job.file.open("rb") as stream:
            rows = read_units_file(job.file_name, stream)
    except TabularError as exc:
        return _finish_failed(job, [RowError(0, "", str(exc))], 0)
    except OSError:
        logger.exception("Import job %s: the uploaded file cannot be read.", job.pk)
        return _finish_failed(job, [RowError(0, "", "上传的文件无法读取，请重新上传。")], 0)
    total = len(rows)
    progress.set(total_rows=total, force=True)
    try:
        with transaction.atomic():
            _lock_units()
            plan = plan_units(rows, actor=actor, good_rows_only=job.good_rows_only)
            progress.set(processed_rows=total, force=True)
            if plan.errors and not job.good_rows_only:
                raise ImportRefused(plan.errors)
            progress.set(status=ImportStatus.WRITING, processed_rows=0, force=True)
            outcome = write_plan(plan, actor=actor, job=job, progress=progress)
            progress.close()
            job.status = ImportStatus.DONE
            job.total_rows = total
            job.processed_rows = total
            job.created_count = outcome.created
            job.updated_count = outcome.updated
            job.unchanged_count = outcome.unchanged
            job.finished_at = timezone.now()
            _save_errors(job, outcome.errors)
            job.save()
            audit.record(
                actor=actor,
                action="unit.import",
                obj=job,
                scope_path=outcome.scope_path,
                changes={
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "errors": len(outcome.errors),
                },
                note=job.file_name,
            )
    except ImportRefused as refused:
        progress.close()
        return _finish_failed(job, refused.errors, total)
    except Exception:
        progress.close()
        logger.exception("Import job %s failed.", job.pk)
        return _finish_failed(
            job, [RowError(0, "", "导入时发生内部错误，未写入任何数据。请联系系统管理员。")], total
        )
    return job


def import_file(*, actor, path: Path | str, good_rows_only: bool = False) -> ImportJob:
    """Store a file from disk as a job and run it now (the management command's path)."""
    path = Path(path)
    with path.open("rb") as handle:
        job = create_job(
            actor=actor,
            file_name=path.name,
            content=File(handle, name=path.name),
            good_rows_only=good_rows_only,
            enqueue=False,
        )
    return run_job(job.pk)
