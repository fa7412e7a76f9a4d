"""Upload checks: extension and first bytes must agree, sizes follow the settings, messages are
Chinese; downloads are attachments with a safe name."""

from __future__ import annotations

from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage

from shuzhi.core.files import (
    DOCUMENT,
    IMAGE,
    VIDEO,
    check_upload,
    safe_filename,
    serve_file,
)

from .samples import docx_bytes, jpeg_bytes, mp4_bytes, pdf_bytes, png_bytes, upload, xlsx_bytes

ALL = {DOCUMENT, IMAGE, VIDEO}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("name", "content", "kind", "content_type"),
    [
        ("报告.pdf", pdf_bytes(), DOCUMENT, "application/pdf"),
        (
            "说明.docx",
            docx_bytes(),
            DOCUMENT,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "台账.XLSX",
            xlsx_bytes(),
            DOCUMENT,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("旧文档.doc", OLE2, DOCUMENT, "application/msword"),
        ("旧表格.xls", OLE2, DOCUMENT, "application/vnd.ms-excel"),
        ("说明.txt", "整改已完成。".encode(), DOCUMENT, "text/plain"),
        ("现场.png", png_bytes(), IMAGE, "image/png"),
        ("现场.jpg", jpeg_bytes(), IMAGE, "image/jpeg"),
        ("现场.jpeg", jpeg_bytes(), IMAGE, "image/jpeg"),
        ("视频.mp4", mp4_bytes(), VIDEO, "video/mp4"),
    ],
)
def test_real_files_are_accepted_with_their_checked_type(name, content, kind, content_type):
    # The browser's claim is ignored: the type comes from the checked extension.
    assert check_upload(upload(name, content, "text/html"), kinds=ALL) == (kind, content_type)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("伪装.pdf", b"<html><script>alert(1)</script></html>"),
        ("伪装.png", pdf_bytes()),
        ("伪装.jpg", png_bytes()),
        ("伪装.mp4", png_bytes()),
        ("伪装.docx", xlsx_bytes()),  # a ZIP, but not a Word document
        ("伪装.xlsx", docx_bytes()),
        ("伪装.docx", b"PK\x03\x04not really a zip"),
        ("伪装.doc", pdf_bytes()),
        ("二进制.txt", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("乱码.txt", b"\xb0\xa1\xb0\xa1\xff\xfe"),
    ],
)
def test_mistyped_files_are_refused_in_chinese(name, content):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, content), kinds=ALL)
    message = caught.value.message_dict["file"][0]
    assert "文件内容与扩展名" in message
    assert "不符" in message


@pytest.mark.parametrize("name", ["程序.exe", "网页.html", "脚本.svg", "无扩展名", "压缩包.zip"])
def test_unknown_extensions_are_refused(name):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, pdf_bytes()), kinds=ALL)
    assert "不支持的文件类型" in caught.value.message_dict["file"][0]


def test_kinds_narrow_what_is_accepted():
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("视频.mp4", mp4_bytes()), kinds={DOCUMENT, IMAGE})
    assert "只能上传" in caught.value.message_dict["file"][0]
    assert "mp4" not in caught.value.message_dict["file"][0].split("只能上传")[1]
    assert check_upload(upload("现场.png", png_bytes()), kinds={IMAGE})[0] == IMAGE
    with pytest.raises(ValueError):
        check_upload(upload("现场.png", png_bytes()), kinds={"audio"})


def test_empty_and_missing_files_are_refused():
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("空.pdf", b""), kinds=ALL)
    assert caught.value.message_dict["file"] == ["文件是空的，请重新选择。"]
    with pytest.raises(ValidationError) as caught:
        check_upload(None, kinds=ALL)
    assert caught.value.message_dict["file"] == ["请选择要上传的文件。"]


def test_size_limits_come_from_settings(settings):
    settings.SHUZHI_ATTACHMENT_MAX_BYTES = 1024 * 1024
    settings.SHUZHI_VIDEO_MAX_BYTES = 3 * 1024 * 1024
    big_pdf = pdf_bytes() + b"%" + b"x" * (1024 * 1024)
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("大文件.pdf", big_pdf), kinds=ALL)
    assert "文件太大" in caught.value.message_dict["file"][0]
    assert "文档不能超过 1 MB" in caught.value.message_dict["file"][0]
    # The same size is fine for a video, whose limit is larger…
    big_video = mp4_bytes() + b"\x00" * (2 * 1024 * 1024)
    assert check_upload(upload("视频.mp4", big_video), kinds=ALL)[0] == VIDEO
    # …until it passes the video limit.
    huge_video = mp4_bytes() + b"\x00" * (3 * 1024 * 1024)
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("视频.mp4", huge_video), kinds=ALL)
    assert "视频不能超过 3 MB" in caught.value.message_dict["file"][0]


def test_long_utf8_text_cut_inside_a_character_is_accepted():
    text = ("整改" * 5000).encode()  # the 8 KB head ends inside a three-byte character
    assert check_upload(upload("长文本.txt", text), kinds=ALL)[0] == DOCUMENT


def test_safe_filename_drops_directories_and_control_characters():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\整改 报告.pdf") == "整改 报告.pdf"
    assert safe_filename('a"b\r\n;c.pdf') == "abc.pdf"
    assert safe_filename("...") == "download"


# Closing a response sends request_finished, which closes database connections.
@pytest.mark.django_db
def test_serve_file_answers_with_an_attachment(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    stored = storage.save("evidence/abc.pdf", upload("x.pdf", pdf_bytes()))

    class Holder:
        pass

    from django.db.models import Model
    from django.db.models.fields.files import FieldFile

    # Serving only reads the file; FieldFile keeps the instance for saves, which never happen.
    field_file = FieldFile(cast(Model, Holder()), type("F", (), {"storage": storage})(), stored)
    response = serve_file(field_file, "../整改报告.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert ".." not in disposition
    assert response.getvalue().startswith(b"%PDF-")
    response.close()
