"""The one import-job runner: every import is a reader + planner + writer plug-in.

An app describes one kind of import by subclassing :class:`Importer` and registering an
instance (in its ``AppConfig.ready``); the runner does the rest the same way for every kind:

1. the upload is stored as a job row by the app's ``create`` service, which calls
   :func:`dispatch` — a small file runs inline right after the commit, a larger one is queued
   on the worker (django-tasks, :func:`run_import_job`);
2. :func:`run` reads the file (:meth:`Importer.read`), then in one transaction plans
   (:meth:`Importer.plan` — checks every row, takes the locks) and writes
   (:meth:`Importer.write` — through :mod:`shuzhi.core.bulk.writing`), publishing progress on
   the job row (:class:`shuzhi.core.progress.JobProgress`) as it goes;
3. success (:meth:`Importer.succeed`: counts, audit) or failure (:meth:`Importer.fail`: every
   row error, nothing written) is recorded on the job, and the shared job pages
   (:mod:`shuzhi.core.bulk.views`) show it, with the error report to download.

A refused file raises :class:`ImportRefused` with its row-numbered :class:`RowError` list at
any stage; any other exception is logged and recorded as an internal error. Either way the
transaction rolls back and nothing partial is stored. A finished job is never run again, so a
retried task does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import models, transaction
from django.urls import reverse
from django_tasks import task

from ..progress import JobProgress

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "导入时发生内部错误，未写入任何数据。请联系系统管理员。"
UNREADABLE = "上传的文件无法读取，请重新上传。"
# Files up to this size run inline right after the upload's commit (a few hundred rows: under
# a second); larger ones wait for the worker.
INLINE_BYTES_DEFAULT = 64 * 1024


@dataclass(frozen=True)
class RowError:
    """One problem with one row: its number as shown in Excel (0: the file as a whole), the
    column and a reason."""

    row: int
    column: str
    message: str


class ImportRefused(Exception):
    """The file cannot be imported; ``errors`` says why, row by row."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = list(errors)


@dataclass
class JobPage:
    """What the shared job pages show of one job, whatever its kind."""

    title: str
    file_name: str
    meta: str
    status_label: str
    outcome: str  # "" while running, "done" or "failed"
    waiting: bool  # queued, not started
    processed: int
    total: int
    phase: str = "已处理"  # what ``processed`` counts: 已校验, 已写入, 已处理
    summary: str = ""  # the sentence shown when finished
    notices: list[str] = field(default_factory=list)  # remarks on a finished import
    errors: list[list[Any]] = field(default_factory=list)  # [row, column, message]
    error_count: int = 0
    report_label: str = ""  # the error report's link text, "" when there is none
    waiting_long: bool = False  # queued for long: probably no worker is running
    links: list[tuple[str, str]] = field(default_factory=list)  # after the job: (label, url)

    @property
    def finished(self) -> bool:
        return bool(self.outcome)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.finished else 0
        return min(100, self.processed * 100 // self.total)


class Importer:
    """One kind of import: how its jobs are stored, read, planned, written and shown.

    Subclasses set the class attributes and implement the stages; the defaults fit a job model
    with ``status``, ``total_rows`` and a progress counter named :attr:`progress_field`.
    """

    kind: str = ""  # the registry key, also in the shared job URLs
    label: str = ""  # what is imported, in the job list (组织, 职务, 问题台账)
    title: str = ""  # the upload page's title, the job pages' way back (导入组织 …)
    model: type[models.Model]
    progress_field = "processed_rows"
    file_name_field = "file_name"
    finished_statuses: frozenset[str] = frozenset({"done", "failed"})
    # URL names of this kind's pages; None: the shared ``/imports/<kind>/…`` pages.
    url_names: dict[str, str] | None = None
    inline_bytes: int | None = None  # None: ``SHUZHI_IMPORT_INLINE_BYTES``
    refusal = "您没有导入的权限。"  # why :meth:`may_start` said no

    def may_start(self, user: Any) -> bool:
        """Whether ``user`` may start an import of this kind somewhere at all."""
        raise NotImplementedError

    # -- the stages ----------------------------------------------------------------------

    def load(self, job_id: int) -> Any:
        return self.model._default_manager.select_related("created_by").get(pk=job_id)

    def is_finished(self, job: Any) -> bool:
        return job.status in self.finished_statuses

    def start(self, job: Any, progress: JobProgress) -> None:
        """Mark the job started (before the file is read)."""
        raise NotImplementedError

    def read(self, job: Any) -> Any:
        """Read the stored file into rows; raise :class:`ImportRefused` for a bad file."""
        raise NotImplementedError

    def count(self, rows: Any) -> int:
        """How many data rows :meth:`read` found."""
        return len(rows)

    def plan(self, job: Any, rows: Any, progress: JobProgress) -> Any:
        """Check every row and take the locks (inside the transaction); raise
        :class:`ImportRefused` when nothing may be written."""
        raise NotImplementedError

    def write(self, job: Any, plan: Any, progress: JobProgress) -> Any:
        """Write the plan in bulk (inside the transaction) and answer the outcome."""
        raise NotImplementedError

    def succeed(self, job: Any, plan: Any, outcome: Any, total: int) -> None:
        """Record the counts and the audit entry (inside the transaction)."""
        raise NotImplementedError

    def fail(self, job: Any, errors: Sequence[RowError], total: int) -> None:
        """Record that nothing was written, and why."""
        raise NotImplementedError

    def keep_report(self, job: Any, rows: Any, errors: Sequence[RowError]) -> None:
        """Store the refused job's error report now, while its rows are read (``None`` when
        the file could not be read): the report page then serves it without reading the
        upload again in the web process. Nothing by default."""

    # -- the pages -----------------------------------------------------------------------

    def jobs_visible_to(self, user: Any) -> models.QuerySet:
        raise NotImplementedError

    def page(self, job: Any) -> JobPage:
        raise NotImplementedError

    def error_report(self, job: Any) -> tuple[Any, str, str] | None:
        """``(bytes or file, file name, content type)`` of the full error report, or None."""
        return None

    def upload_url(self) -> str:
        raise NotImplementedError

    def url(self, which: str, job: Any) -> str:
        """The URL of ``job``'s ``detail``, ``status`` or ``errors`` page."""
        if self.url_names is not None:
            return reverse(self.url_names[which], args=[job.pk])
        return reverse(f"import_job_{which}_any", args=[self.kind, job.pk])

    def file_name(self, job: Any) -> str:
        return getattr(job, self.file_name_field)


# .txt: Excel's "Unicode 文本" save (UTF-16, tab-separated), read as a CSV.
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".txt")


def check_file_name(name: str) -> None:
    """Refuse a file whose extension is neither .csv, .txt nor .xlsx (an .xls is told how to
    convert: no reader for the old binary format is installed)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise ValidationError(
            {
                "file": "暂不支持 Excel 97-2003 格式（.xls）："
                "请在 Excel 中“另存为” Excel 工作簿（.xlsx）后再上传。"
            }
        )
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationError(
            {"file": f"不支持的文件类型“{suffix or name}”：请上传 .csv 或 .xlsx 文件。"}
        )


def upload_errors(file_name: str, content: File | bytes) -> dict[str, str]:
    """What is wrong with an upload before it becomes a job: its type, its size (at most
    ``SHUZHI_IMPORT_MAX_BYTES``), emptiness — as ``{"file": message}``, or nothing."""
    try:
        check_file_name(file_name)
    except ValidationError as exc:
        return {"file": exc.message_dict["file"][0]}
    size = len(content) if isinstance(content, bytes) else content.size
    limit = settings.SHUZHI_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        return {"file": f"文件太大（{size // 1048576} MB），上限为 {limit // 1048576} MB。"}
    if size == 0:
        return {"file": "文件是空的。"}
    return {}


_REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Register ``importer`` under its kind (once; the apps call this in ``ready``)."""
    known = _REGISTRY.get(importer.kind)
    if known is not None and type(known) is not type(importer):
        raise ValueError(f"Two importers for the kind {importer.kind!r}.")
    _REGISTRY[importer.kind] = importer
    return importer


def importer_for(kind: str) -> Importer:
    """The importer registered for ``kind`` (KeyError when there is none)."""
    return _REGISTRY[kind]


def importers() -> list[Importer]:
    return list(_REGISTRY.values())


def dispatch(kind: str, job: Any, *, size: int | None = None, inline: bool | None = None) -> None:
    """Run ``job`` after the current transaction commits: inline when asked or when the file
    is small (``size`` bytes), otherwise on the worker."""
    importer = importer_for(kind)
    if inline is None:
        limit = importer.inline_bytes
        if limit is None:
            limit = getattr(settings, "SHUZHI_IMPORT_INLINE_BYTES", INLINE_BYTES_DEFAULT)
        inline = size is not None and size <= limit
    job_id = job.pk
    if inline:
        transaction.on_commit(lambda: run(kind, job_id))
        return
    transaction.on_commit(lambda: _enqueue(kind, job_id))


def _enqueue(kind: str, job_id: int) -> None:
    run_import_job.enqueue(kind, job_id)


def run(kind: str, job_id: int) -> Any:
    """Run one job to the end: read, plan, write, record the result; answer the job."""
    importer = importer_for(kind)
    job = importer.load(job_id)
    if importer.is_finished(job):
        return job
    progress = JobProgress(job)
    total = 0
    rows: Any = None
    try:
        importer.start(job, progress)
        try:
            rows = importer.read(job)
        except OSError as exc:
            logger.exception("Import %s #%s: the stored file cannot be read.", kind, job.pk)
            raise ImportRefused([RowError(0, "", UNREADABLE)]) from exc
        total = importer.count(rows)
        progress.set(total_rows=total, force=True)
        with transaction.atomic():
            plan = importer.plan(job, rows, progress)
            outcome = importer.write(job, plan, progress)
            progress.close()
            importer.succeed(job, plan, outcome, total)
    except ImportRefused as refused:
        progress.close()
        importer.fail(job, refused.errors, total)
        importer.keep_report(job, rows, refused.errors)
    except Exception:
        progress.close()
        logger.exception("Import %s #%s failed.", kind, job.pk)
        importer.fail(job, [RowError(0, "", INTERNAL_ERROR)], total)
    return job


@task()
def run_import_job(kind: str, job_id: int) -> str:
    """Run one import job on the worker; the job row records its progress and result."""
    return run(kind, job_id).status
