"""A round's reports as one zip of Word files, for filing (归档).

Each report enters as its latest submitted version (a draft that was never submitted is left
out: it is not yet a report). The archive is written to a spooled temporary file — in memory
while small, on disk beyond a few megabytes. A round of up to ``inline_max()`` reports is
streamed back at once; a larger one is built by a background task (django-tasks) into storage
under ``report-archives/round-<id>/`` and the person who asked finds a link in their inbox.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django_tasks import task

from shuzhi.core import clock
from shuzhi.core.notify import notify
from shuzhi.cycles.models import Round
from shuzhi.reports.reports.models import Report, ReportStatus, ReportVersion
from shuzhi.reports.reports.word import filename, report_docx

SPOOL_BYTES = 8 * 1024 * 1024
ARCHIVE_NAME_RE = re.compile(r"^\d{8}-\d{6}\.zip$")


def inline_max() -> int:
    """Rounds with more submitted reports than this are archived in the background."""
    return int(getattr(settings, "SHUZHI_REPORT_ARCHIVE_INLINE_MAX", 60))


def archive_dir(round_id: int) -> str:
    return f"report-archives/round-{round_id}"


def archived_reports(reports: QuerySet[Report]) -> QuerySet[Report]:
    """The submitted, returned or accepted reports of ``reports`` with what the files need."""
    return (
        reports.exclude(status=ReportStatus.DRAFT)
        .select_related("reporter__unit", "reporter__person", "reporter__round")
        .prefetch_related(Prefetch("versions", queryset=ReportVersion.objects.order_by("-number")))
        .order_by("reporter__sort_order", "reporter_id")
    )


def write_zip(reports: Iterable[Report]) -> tuple[IO[bytes], int]:
    """Write the archive; return the rewound file and the number of documents in it."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    count = 0
    used: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for report in reports:
            versions = list(report.versions.all())
            if not versions:
                continue
            name = filename(report)
            if name in used:  # two reporters of one unit name: keep both files
                name = name.replace(".docx", f"-{report.pk}.docx")
            used.add(name)
            archive.writestr(name, report_docx(report, versions[0].content))
            count += 1
    out.seek(0)
    return out, count


def stored_archives(round_id: int) -> list[str]:
    """Names of the archives built in the background for a round, newest first."""
    directory = archive_dir(round_id)
    try:
        _dirs, files = default_storage.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted((f for f in files if ARCHIVE_NAME_RE.match(f)), reverse=True)


@task()
def build_round_archive(round_id: int, user_id: int) -> str:
    """Build a large round's archive into storage and tell the user where to fetch it."""
    round = Round.objects.select_related("host").get(pk=round_id)
    user = get_user_model().objects.get(pk=user_id)
    out, count = write_zip(archived_reports(Report.objects.filter(reporter__round=round)))
    name = f"{clock.now():%Y%m%d-%H%M%S}.zip"
    with out:
        stored = default_storage.save(f"{archive_dir(round_id)}/{name}", File(out, name=name))
    name = stored.rsplit("/", 1)[-1]
    notify(
        user=user,
        kind="report.archive",
        title=f"{round.year}年度述职报告归档文件已生成",
        body=f"共 {count} 份述职报告。",
        url=reverse("report_round_archive_file", args=[round_id, name]),
    )
    return name
