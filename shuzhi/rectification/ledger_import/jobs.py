"""The ledger import as a plug-in of the shared import-job runner (``core.bulk``): store the
upload, then read, check and write it through the runner; the job pages are the shared ones."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuzhi.core import clock
from shuzhi.core.bulk import jobs as bulk_jobs
from shuzhi.core.progress import JobProgress
from shuzhi.exports.cells import append_row
from shuzhi.exports.responses import XLSX
from shuzhi.exports.sheets import (
    bold_row,
    column_widths,
    new_workbook,
    print_setup,
    workbook_bytes,
)
from shuzhi.kernel.scope import is_global, scopes_for
from shuzhi.orgs.imports.tabular import RowError, TabularError
from shuzhi.orgs.tree.models import Unit, UnitStatus
from shuzhi.orgs.tree.policies import can

from ..models import (
    LedgerImport,
)
from ..policies import may_import_ledger
from .checking import LedgerPlan, plan_ledger
from .common import (
    MAX_STORED_ERRORS,
    ImportRefused,
    join_messages,
)
from .reading import LedgerRows, read_ledger
from .updating import apply_updates
from .writing import _lock_units, write_plan

# A queued import normally starts within a second or two; after this long the likeliest cause
# is that no background worker is running, so the page says how to start one.
WORKER_HINT_AFTER = datetime.timedelta(seconds=10)


def import_units_for(actor) -> list[Unit]:
    """The units at the top of ``actor``'s import scopes (the choices of the upload form)."""
    if is_global(actor):
        return list(Unit.objects.filter(parent__isnull=True, status=UnitStatus.ACTIVE))
    paths = [scope.path for scope in scopes_for(actor, "problem.import")]
    return list(Unit.objects.filter(path__in=paths, status=UnitStatus.ACTIVE).order_by("path"))


def create_import(
    *,
    actor,
    unit: Unit,
    year: int,
    file_name: str,
    content: File | bytes,
    enqueue: bool = True,
    preview: bool = False,
    mapping: list[str] | None = None,
    update_existing: bool = False,
) -> LedgerImport:
    """Store an uploaded ledger as a new import job for ``unit``'s subtree and ``year``, and
    queue it after the commit — or, with ``preview``, keep it for the user to confirm its
    columns first (``preview.confirm_import`` queues it). Refuses users without
    ``problem.import`` on ``unit``."""
    if not can(actor, "problem.import", unit):
        raise PermissionDenied("您无权向该组织导入问题台账。")
    errors: dict[str, str] = {}
    file_name = Path(file_name or "").name
    errors.update(bulk_jobs.upload_errors(file_name, content))
    size = len(content) if isinstance(content, bytes) else content.size
    this_year = clock.today().year
    if not (2000 <= year <= this_year + 1):
        errors["year"] = f"年度应在 2000 至 {this_year + 1} 之间。"
    if unit.status != UnitStatus.ACTIVE:
        errors["unit"] = "该组织已合并或撤销，不能再导入问题。"
    if errors:
        raise ValidationError(errors)
    upload = ContentFile(content) if isinstance(content, bytes) else content
    with transaction.atomic():
        job = LedgerImport(
            unit=unit,
            year=year,
            original_name=file_name[:255],
            created_by=actor,
            mapping=list(mapping or []),
            update_existing=update_existing,
            status=LedgerImport.Status.PREVIEW if preview else LedgerImport.Status.PENDING,
        )
        job.file.save(file_name, upload, save=False)
        job.save()
        if enqueue and not preview:
            bulk_jobs.dispatch(LedgerImporter.kind, job, size=size)
    return job


def _errors_json(errors: Sequence[RowError]) -> list[list[Any]]:
    stored = [[e.row, e.column, e.message] for e in errors[:MAX_STORED_ERRORS]]
    if len(errors) > MAX_STORED_ERRORS:
        stored.append([0, "", f"另有 {len(errors) - MAX_STORED_ERRORS} 处问题未列出。"])
    return stored


class LedgerImporter(bulk_jobs.Importer):
    """The ledger import as a plug-in of the shared runner (reader, checker, writer)."""

    kind = "ledger"
    label = "问题台账"
    title = "导入问题台账"
    model = LedgerImport
    progress_field = "done_rows"
    file_name_field = "original_name"
    refusal = "您没有导入问题台账的权限。"
    url_names = {
        "detail": "problem_import_job",
        "status": "problem_import_status",
        "errors": "problem_import_errors",
    }

    def load(self, job_id: int) -> LedgerImport:
        return LedgerImport.objects.select_related("created_by", "unit").get(pk=job_id)

    def may_start(self, user) -> bool:
        return may_import_ledger(user)

    def start(self, job: LedgerImport, progress: JobProgress) -> None:
        progress.set(status=LedgerImport.Status.RUNNING, done_rows=0, force=True)

    def read(self, job: LedgerImport) -> LedgerRows:
        try:
            with job.file.open("rb") as stream:
                return read_ledger(job.original_name, stream, job.mapping or None)
        except TabularError as exc:
            raise ImportRefused([RowError(0, "", str(exc))]) from exc

    def plan(self, job: LedgerImport, rows: LedgerRows, progress: JobProgress) -> LedgerPlan:
        actor = job.created_by
        if actor is None or not can(actor, "problem.import", job.unit):
            raise ImportRefused([RowError(0, "", "您已无权向该组织导入问题台账。")])
        plan = plan_ledger(
            rows,
            actor=actor,
            scope=job.unit,
            year=job.year,
            picks=job.unit_picks,
            update=job.update_existing,
        )
        if plan.errors:
            raise ImportRefused(plan.errors)
        # The items copy their units' paths as they are under the lock, not as planned.
        paths = _lock_units(set(plan.unit_ids))
        plan.unit_paths = [
            paths.get(unit_id, path)
            for unit_id, path in zip(plan.unit_ids, plan.unit_paths, strict=True)
        ]
        return plan

    def write(self, job: LedgerImport, plan: LedgerPlan, progress: JobProgress):
        outcome = write_plan(plan.new_items(), actor=job.created_by, job=job, progress=progress)
        outcome.updated = apply_updates(plan, actor=job.created_by)
        outcome.unchanged = plan.updating - outcome.updated
        return outcome

    def succeed(self, job: LedgerImport, plan: LedgerPlan, outcome, total: int) -> None:
        job.status = LedgerImport.Status.DONE
        job.total_rows = total
        job.done_rows = total
        job.created_count = outcome.created
        job.updated_count = outcome.updated
        if plan.updating:
            plan.warnings.insert(
                0,
                f"按序号对应已有问题 {plan.updating} 行：更新 {outcome.updated} 个，"
                f"{outcome.unchanged} 个与系统中一致未改动。",
            )
        job.errors = [[0, "", warning] for warning in plan.warnings]
        job.save()

    def fail(self, job: LedgerImport, errors: Sequence[RowError], total: int) -> None:
        job.status = LedgerImport.Status.FAILED
        job.total_rows = total
        job.done_rows = 0
        job.created_count = 0
        job.errors = _errors_json(errors)
        job.save()

    def jobs_visible_to(self, user):
        return imports_visible_to(user).select_related("unit", "created_by")

    def upload_url(self) -> str:
        return reverse("problem_import")

    def keep_report(
        self, job: LedgerImport, rows: LedgerRows | None, errors: Sequence[RowError]
    ) -> None:
        content = error_report(job.errors, rows)
        job.error_report.save(
            f"ledger-import-{job.pk}-errors.xlsx", ContentFile(content), save=False
        )
        job.save(update_fields=["error_report", "updated_at"])

    def error_report(self, job: LedgerImport):
        if job.status != LedgerImport.Status.FAILED or not job.errors:
            return None
        return (report_of(job), f"ledger-import-{job.pk}-errors.xlsx", XLSX)

    def page(self, job: LedgerImport) -> bulk_jobs.JobPage:
        finished = job.status in (LedgerImport.Status.DONE, LedgerImport.Status.FAILED)
        who = job.created_by.display_name if job.created_by else ""
        page = bulk_jobs.JobPage(
            title=f"台账导入#{job.pk}",
            file_name=job.original_name,
            meta=(
                f"{job.unit.name} · {job.year} 年度 · 上传人 {who} · "
                f"{timezone.localtime(job.created_at):%Y-%m-%d %H:%M:%S}"
            ),
            status_label=job.get_status_display(),
            outcome=job.status if finished else "",
            waiting=job.status == LedgerImport.Status.PENDING,
            waiting_long=job.status == LedgerImport.Status.PENDING
            and timezone.now() - job.created_at > WORKER_HINT_AFTER,
            processed=job.done_rows,
            total=job.total_rows,
        )
        upload = ("再导入一个文件", self.upload_url())
        if job.status == LedgerImport.Status.DONE:
            page.summary = (
                f"导入完成：共 {job.total_rows} 行，新增问题 {job.created_count} 个"
                + (f"，按序号更新 {job.updated_count} 个" if job.updated_count else "")
                + f"，记入 {job.year} 年度台账。"
            )
            page.notices = [message for _row, _column, message in job.errors]
            ledger = f"{reverse('ledger_list')}?year={job.year}&unit={quote(job.unit.code)}"
            page.links = [("查看台账", ledger), upload]
        elif job.status == LedgerImport.Status.FAILED:
            page.summary = (
                f"文件共 {job.total_rows} 行，发现 {len(job.errors)} 处问题，未导入任何数据。"
                "请修改后重新上传。"
                if job.total_rows
                else "文件无法导入，未写入任何数据。"
            )
            page.errors = job.errors
            page.error_count = len(job.errors)
            page.report_label = "下载错误报告（Excel）" if job.errors else ""
            page.links = [upload]
        return page


def run_import(import_id: int) -> LedgerImport:
    """Run an import job to the end through the shared runner: read, check, write, audit,
    record the result.

    Runs in the background task (or directly, e.g. from the benchmark). A job that has already
    finished is returned as it is, so a retried task does nothing twice.
    """
    return bulk_jobs.run(LedgerImporter.kind, import_id)


def import_file(*, actor, unit: Unit, year: int, path: Path | str) -> LedgerImport:
    """Store a file from disk as a job and run it now (scripts and the benchmark)."""
    path = Path(path)
    with path.open("rb") as handle:
        job = create_import(
            actor=actor,
            unit=unit,
            year=year,
            file_name=path.name,
            content=File(handle, name=path.name),
            enqueue=False,
        )
    return run_import(job.pk)


def error_report(errors: Sequence[Sequence[Any]], rows: LedgerRows | None) -> bytes:
    """The uploaded rows with a 行号 and an 错误说明 column (bad rows in red), as .xlsx;
    without ``rows`` (an unreadable file) the errors alone.

    Built when the import is refused, from the rows it read: the rows keep the file's
    columns, so the report can be corrected and uploaded again (the two added columns are
    ignored by the import).
    """
    from openpyxl.styles import Alignment, PatternFill

    by_row: dict[int, list[str]] = {}
    for row, column, message in errors:
        by_row.setdefault(row, []).append(f"{column}：{message}" if column else message)
    workbook, sheet = new_workbook("错误报告")
    red = PatternFill("solid", fgColor="FFE0E0")
    if rows is None:
        append_row(sheet, ["行号", "错误说明"])
        for row, messages in sorted(by_row.items()):
            append_row(sheet, [row or "文件", join_messages(messages)])
    else:
        keys = rows.keys
        append_row(sheet, ["行号", "错误说明", *rows.header])
        if 0 in by_row:
            append_row(sheet, ["文件", join_messages(by_row[0])])
        for k, number in enumerate(rows.numbers):
            messages = by_row.get(number, [])
            append_row(
                sheet,
                [
                    number,
                    join_messages(messages),
                    *[rows.columns[key][k] if key in rows.columns else "" for key in keys],
                ],
            )
            if messages:
                for cell in sheet[sheet.max_row][:2]:
                    cell.fill = red
    bold_row(sheet[1])
    column_widths(sheet, {"B": 60})
    for row_cells in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        row_cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    print_setup(sheet)
    return workbook_bytes(workbook)


def report_of(job: LedgerImport) -> bytes:
    """A refused job's error report as stored when it was refused; for a job refused before
    reports were stored, its stored errors alone — never the upload read again."""
    if job.error_report:
        with job.error_report.open("rb") as stored:
            return stored.read()
    return error_report(job.errors, None)


def imports_visible_to(user):
    """A user's own imports; every import for superusers; nothing for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return LedgerImport.objects.none()
    if is_global(user):
        return LedgerImport.objects.all()
    return LedgerImport.objects.filter(created_by=user)
