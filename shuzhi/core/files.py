"""Check uploaded files before they are stored, and serve stored files as downloads.

A file is accepted only when its extension belongs to one of the kinds the caller allows AND
its first bytes match that extension (a renamed executable or an HTML page called ``.pdf`` is
refused), and when it is within the size limit for its kind. Stored files are never served
from MEDIA_ROOT directly: views check permission and then call :func:`serve_file`, which
always answers with a download (``Content-Disposition: attachment``) so nothing uploaded is
ever rendered by the browser in the site's origin.
"""

from __future__ import annotations

import mimetypes
import os
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse

DOCUMENT = "document"
IMAGE = "image"
VIDEO = "video"
KIND_LABELS = {DOCUMENT: "文档", IMAGE: "图片", VIDEO: "视频"}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    label: str


FILE_TYPES: dict[str, FileType] = {
    "pdf": FileType(DOCUMENT, "application/pdf", "PDF"),
    "docx": FileType(
        DOCUMENT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word",
    ),
    "xlsx": FileType(
        DOCUMENT, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"
    ),
    "doc": FileType(DOCUMENT, "application/msword", "Word"),
    "xls": FileType(DOCUMENT, "application/vnd.ms-excel", "Excel"),
    "txt": FileType(DOCUMENT, "text/plain", "文本"),
    "jpg": FileType(IMAGE, "image/jpeg", "JPEG"),
    "jpeg": FileType(IMAGE, "image/jpeg", "JPEG"),
    "png": FileType(IMAGE, "image/png", "PNG"),
    "mp4": FileType(VIDEO, "video/mp4", "MP4"),
}

# Enough of the head of a file to recognise every type above.
HEAD_BYTES = 8192


def extensions_for(kinds: set[str]) -> list[str]:
    """The extensions accepted for ``kinds``, for help texts and ``accept`` attributes."""
    return [ext for ext, ftype in FILE_TYPES.items() if ftype.kind in kinds]


def max_bytes_for(kind: str) -> int:
    """The size limit for one file of ``kind`` (videos have their own, larger limit)."""
    if kind == VIDEO:
        return int(settings.SHUZHI_VIDEO_MAX_BYTES)
    return int(settings.SHUZHI_ATTACHMENT_MAX_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _zip_has(upload, member: str) -> bool:
    """Does the ZIP container ``upload`` hold ``member``? (docx/xlsx are ZIP files.)"""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)


def _content_matches(ext: str, head: bytes, upload) -> bool:
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext in {"docx", "xlsx"}:
        member = "word/document.xml" if ext == "docx" else "xl/workbook.xml"
        return head.startswith(ZIP_MAGIC) and _zip_has(upload, member)
    if ext in {"doc", "xls"}:
        return head.startswith(OLE2_MAGIC)
    if ext == "txt":
        if b"\x00" in head:
            return False
        try:
            # The head may end inside a multi-byte character; ignore only that tail.
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
        return True
    if ext in {"jpg", "jpeg"}:
        return head.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == "mp4":
        return len(head) >= 12 and head[4:8] == b"ftyp"
    return False


def check_upload(upload, *, kinds: set[str]) -> tuple[str, str]:
    """Validate ``upload`` (a Django ``UploadedFile``) against the allowed ``kinds``.

    Returns ``(kind, content_type)`` taken from the checked type, never from what the browser
    claimed. Raises ``ValidationError({"file": ...})`` with a Chinese message for a missing,
    empty, mistyped or oversized file.
    """
    unknown = set(kinds) - set(KIND_LABELS)
    if unknown:
        raise ValueError(f"Unknown file kinds {sorted(unknown)!r}")
    if upload is None:
        raise ValidationError({"file": "请选择要上传的文件。"})
    allowed = extensions_for(set(kinds))
    allowed_text = "、".join(sorted({e for e in allowed if e != "jpeg"}))
    name = os.path.basename(str(getattr(upload, "name", "") or ""))
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise ValidationError(
            {"file": f"不支持的文件类型“{ext or '无扩展名'}”，只能上传 {allowed_text} 文件。"}
        )
    ftype = FILE_TYPES[ext]
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise ValidationError({"file": "文件是空的，请重新选择。"})
    limit = max_bytes_for(ftype.kind)
    if size > limit:
        raise ValidationError(
            {
                "file": f"文件太大（{_megabytes(size)}），"
                f"{KIND_LABELS[ftype.kind]}不能超过 {_megabytes(limit)}。"
            }
        )
    head = _read_head(upload)
    if not _content_matches(ext, head, upload):
        raise ValidationError(
            {"file": f"文件内容与扩展名 .{ext} 不符，不是有效的 {ftype.label} 文件。"}
        )
    return ftype.kind, ftype.content_type


def safe_filename(name: str, default: str = "download") -> str:
    """A download name without directories, control characters or quotes."""
    base = os.path.basename(str(name).replace("\\", "/"))
    cleaned = "".join(
        ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;'
    ).strip(" .")
    return cleaned[:200] or default


def serve_file(fieldfile, name: str) -> FileResponse:
    """Answer with the stored ``fieldfile`` as a download named ``name``.

    Callers check permission first. The content type comes from the file name's extension
    (checked on upload), ``nosniff`` stops browsers guessing another one, and the response is
    always an attachment.
    """
    filename = safe_filename(name)
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    ftype = FILE_TYPES.get(ext)
    content_type = (
        ftype.content_type
        if ftype
        else (mimetypes.guess_type(filename)[0] or "application/octet-stream")
    )
    fieldfile.open("rb")
    response = FileResponse(
        fieldfile, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
