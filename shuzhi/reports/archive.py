"""A round's reports as one zip of Word files, for filing (归档).

Each report enters as its latest submitted version (a draft that was never submitted is left
out: it is not yet a report). The archive is written to a spooled temporary file — in memory
while small, on disk beyond a few megabytes — and streamed back, so a large round never holds
all documents in memory at once.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO

from django.db.models import Prefetch, QuerySet

from .models import Report, ReportStatus, ReportVersion
from .word import filename, report_docx

SPOOL_BYTES = 8 * 1024 * 1024


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
