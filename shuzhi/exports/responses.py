"""Files sent as downloads: the content types and the ``Content-Disposition`` header.

A download is always an attachment, so nothing the product writes is rendered in the site's
origin. A name in ASCII is sent as ``filename="units-440100.csv"``; a Chinese name as RFC 5987
``filename*=utf-8''…`` (percent-encoded UTF-8, which every current browser reads), preceded by
an ASCII ``filename`` when the caller gives one for clients that do not read ``filename*``::

    attachment(data, filename="广州市委-2026年度述职报告.docx", content_type=DOCX,
               ascii_name="report-7.docx", no_store=True)
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


def content_disposition(filename: str, *, ascii_name: str = "") -> str:
    """The ``Content-Disposition`` value that downloads ``filename`` (see the module doc)."""
    header = content_disposition_header(True, filename)
    assert header is not None  # always a header for an attachment
    if ascii_name and "filename*=" in header:
        fallback = content_disposition_header(True, ascii_name)
        assert fallback is not None
        header = header.replace("attachment;", fallback + ";", 1)
    return header


def attachment(
    data: bytes | str,
    *,
    filename: str,
    content_type: str,
    ascii_name: str = "",
    no_store: bool = False,
) -> HttpResponse:
    """``data`` as a download named ``filename``.

    ``no_store`` keeps the file out of browser and proxy caches, for files that name people
    and their results (ballot results, reports).
    """
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, ascii_name=ascii_name)
    if no_store:
        response["Cache-Control"] = "no-store"
    return response
