"""Downloads: always an attachment, ASCII names plain, Chinese names in RFC 5987 form."""

from __future__ import annotations

from urllib.parse import quote

from shuzhi.exports.responses import CSV, DOCX, attachment, content_disposition


def test_an_ascii_name_is_a_plain_quoted_filename():
    assert content_disposition("units-440100.csv") == 'attachment; filename="units-440100.csv"'


def test_a_chinese_name_is_sent_percent_encoded():
    header = content_disposition("问题台账导入模板.xlsx")
    assert header == "attachment; filename*=utf-8''" + quote("问题台账导入模板.xlsx")


def test_a_chinese_name_keeps_an_ascii_fallback_first():
    header = content_disposition("广州市委-2026年度述职报告.docx", ascii_name="report-7.docx")
    assert header == (
        'attachment; filename="report-7.docx"; '
        "filename*=utf-8''" + quote("广州市委-2026年度述职报告.docx")
    )


def test_the_fallback_is_not_added_to_an_ascii_name():
    assert content_disposition("a.csv", ascii_name="b.csv") == 'attachment; filename="a.csv"'


def test_quotes_in_a_name_cannot_end_the_header_value():
    assert content_disposition('x";.csv') == 'attachment; filename="x\\";.csv"'


def test_attachment_sets_type_disposition_and_caching():
    response = attachment(b"a,b\r\n", filename="x.csv", content_type=CSV)
    assert response["Content-Type"] == CSV
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert not response.has_header("Cache-Control")
    assert response.content == b"a,b\r\n"
    private = attachment(b"", filename="述职.docx", content_type=DOCX, no_store=True)
    assert private["Cache-Control"] == "no-store"
    assert private["Content-Disposition"].startswith("attachment; filename*=utf-8''")
