"""The unit and post imports as plug-ins of the shared import-job runner (``core.bulk``).

Both keep their jobs in ``ImportJob`` (told apart by ``kind``), their full error report as a
CSV file on the job, and their pages are the shared job pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuzhi.core import audit
from shuzhi.core.bulk import jobs as bulk_jobs
from shuzhi.core.progress import JobProgress
from shuzhi.orgs.imports.models import (
    FINISHED_STATUSES,
    MAX_STORED_ERRORS,
    ImportJob,
    ImportKind,
    ImportStatus,
)
from shuzhi.orgs.imports.policies import may_import_units
from shuzhi.orgs.imports.tabular import RowError, TabularError, errors_as_csv, read_table
from shuzhi.orgs.imports.units.common import ImportRefused
from shuzhi.orgs.imports.units.planning import plan_units
from shuzhi.orgs.imports.units.reading import read_units_file
from shuzhi.orgs.imports.units.writing import _lock_units, write_plan


def create_job(
    *,
    actor,
    file_name: str,
    content: File | bytes,
    good_rows_only: bool = False,
    enqueue: bool = True,
    kind: str = ImportKind.UNITS,
    accept_question_marks: bool = False,
) -> ImportJob:
    """Store an uploaded file as a new import job and run it after the commit (inline when
    small, on the worker otherwise; not at all with ``enqueue=False``).

    Refuses users who may not import anywhere and files that are not .csv or .xlsx.
    """
    importer = bulk_jobs.importer_for(kind)
    if not importer.may_start(actor):
        raise PermissionDenied(importer.refusal)
    file_name = Path(file_name or "").name
    errors = bulk_jobs.upload_errors(file_name, content)
    if errors:
        raise ValidationError(errors)
    size = len(content) if isinstance(content, bytes) else content.size
    upload = ContentFile(content) if isinstance(content, bytes) else content
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            file_name=file_name[:255],
            good_rows_only=good_rows_only,
            accept_question_marks=accept_question_marks,
            created_by=actor,
        )
        job.file.save(file_name, upload, save=False)
        job.save()
        if enqueue:
            bulk_jobs.dispatch(kind, job, size=size)
    return job


class _ImportJobs(bulk_jobs.Importer):
    """What the unit and the post imports share: the ``ImportJob`` row and its pages."""

    model = ImportJob
    finished_statuses = FINISHED_STATUSES
    summary_label = ""

    def start(self, job: ImportJob, progress: JobProgress) -> None:
        progress.set(status=ImportStatus.VALIDATING, processed_rows=0, force=True)

    def read_table(self, job: ImportJob):
        try:
            with job.file.open("rb") as stream:
                return read_table(job.file_name, stream)
        except TabularError as exc:
            raise ImportRefused([RowError(0, "", str(exc))]) from exc

    def fail(self, job: ImportJob, errors: Sequence[RowError], total: int) -> None:
        job.status = ImportStatus.FAILED
        job.total_rows = total
        job.processed_rows = 0
        job.created_count = job.updated_count = job.unchanged_count = 0
        job.finished_at = timezone.now()
        _save_errors(job, errors)
        job.save()

    def finish(self, job: ImportJob, total: int, errors: Sequence[RowError], **counts) -> None:
        job.status = ImportStatus.DONE
        job.total_rows = total
        job.processed_rows = total
        job.created_count = counts.get("created", 0)
        job.updated_count = counts.get("updated", 0)
        job.unchanged_count = counts.get("unchanged", 0)
        job.finished_at = timezone.now()
        _save_errors(job, errors)
        job.save()

    def jobs_visible_to(self, user):
        return ImportJob.objects.visible_to(user).filter(kind=self.kind)

    def error_report(self, job: ImportJob):
        if not job.error_report:
            return None
        return (
            job.error_report.open("rb"),
            f"import-{job.pk}-errors.csv",
            "text/csv; charset=utf-8",
        )

    def page(self, job: ImportJob) -> bulk_jobs.JobPage:
        finished = job.is_finished
        page = bulk_jobs.JobPage(
            title=f"导入#{job.pk}",
            file_name=job.file_name,
            meta=(
                f"上传人 {job.created_by.display_name} · "
                f"{timezone.localtime(job.created_at):%Y-%m-%d %H:%M:%S}"
                + (" · 只导入无误的行" if job.good_rows_only else "")
            ),
            status_label=job.get_status_display(),
            outcome=job.status if finished else "",
            waiting=job.status == ImportStatus.QUEUED,
            processed=job.processed_rows,
            total=job.total_rows,
            phase="已写入" if job.status == ImportStatus.WRITING else "已校验",
            errors=job.errors,
            error_count=job.error_count,
            report_label="下载完整问题清单（CSV）" if job.error_report else "",
            links=[("再导入一个文件", self.upload_url())],
        )
        if job.status == ImportStatus.DONE:
            page.summary = self.done_summary(job)
        elif job.status == ImportStatus.FAILED:
            page.summary = (
                f"文件共 {job.total_rows} 行，发现 {job.error_count} 处问题，未导入任何数据。"
                "请修改后重新上传，或勾选“只导入无误的行”。"
                if job.total_rows
                else "文件无法导入，未写入任何数据。"
            )
        return page

    def done_summary(self, job: ImportJob) -> str:
        raise NotImplementedError


class UnitImporter(_ImportJobs):
    """The unit import as a plug-in of the shared runner (reader, planner, writer)."""

    kind = ImportKind.UNITS.value
    label = "组织"
    title = "导入组织"
    refusal = "您没有导入组织的权限。"
    url_names = {
        "detail": "import_job",
        "status": "import_job_status",
        "errors": "import_job_errors",
    }

    def may_start(self, user) -> bool:
        return may_import_units(user)

    def read(self, job: ImportJob):
        try:
            with job.file.open("rb") as stream:
                return read_units_file(job.file_name, stream)
        except TabularError as exc:
            raise ImportRefused([RowError(0, "", str(exc))]) from exc

    def plan(self, job: ImportJob, rows, progress: JobProgress):
        _lock_units()
        plan = plan_units(
            rows,
            actor=job.created_by,
            good_rows_only=job.good_rows_only,
            accept_question_marks=job.accept_question_marks,
        )
        progress.set(processed_rows=len(rows), force=True)
        if plan.errors and not job.good_rows_only:
            raise ImportRefused(plan.errors)
        progress.set(status=ImportStatus.WRITING, processed_rows=0, force=True)
        return plan

    def write(self, job: ImportJob, plan, progress: JobProgress):
        return write_plan(plan, actor=job.created_by, job=job, progress=progress)

    def succeed(self, job: ImportJob, plan, outcome, total: int) -> None:
        self.finish(
            job,
            total,
            outcome.errors,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
        )
        audit.record(
            actor=job.created_by,
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

    def upload_url(self) -> str:
        return reverse("unit_import")

    def page(self, job: ImportJob) -> bulk_jobs.JobPage:
        page = super().page(job)
        if job.status == ImportStatus.DONE:
            page.links.append(("查看组织树", reverse("unit_tree")))
        return page

    def done_summary(self, job: ImportJob) -> str:
        tail = f"；另有 {job.error_count} 处问题，相关的行未导入" if job.error_count else ""
        return (
            f"导入完成：共 {job.total_rows} 行，新建 {job.created_count} 个，"
            f"更新 {job.updated_count} 个，未变 {job.unchanged_count} 个{tail}。"
        )


def _save_errors(job: ImportJob, errors: Sequence[RowError]) -> None:
    job.error_count = len(errors)
    job.errors = [[e.row, e.column, e.message] for e in errors[:MAX_STORED_ERRORS]]
    if errors:
        job.error_report.save(
            f"import-{job.pk}-errors.csv", ContentFile(errors_as_csv(list(errors))), save=False
        )


def run_job(job_id: int) -> ImportJob:
    """Run a unit (or post) import job to the end through the shared runner.

    Runs in the background task, or directly from the management command. A job that has
    already finished is returned as it is, so a retried task does nothing twice.
    """
    job = ImportJob.objects.only("kind").get(pk=job_id)
    return bulk_jobs.run(job.kind, job_id)


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
