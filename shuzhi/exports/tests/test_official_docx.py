"""The GB/T 9704 page read back from the .docx bytes: page, margins, page-number footers,
the red separator, the signature block and the date."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length, Pt

from shuzhi.exports.official_docx import (
    PAGE_NUMBER_FONT,
    document_date,
    official_document,
    separator,
    signature_block,
    width_in_characters,
)
from shuzhi.exports.word import BODY_FONT, document_bytes, official_line

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def mm(length: Length | None) -> int:
    """A length read back from the file, in whole millimetres (Word stores twips)."""
    assert length is not None
    return round(length.mm)


def read(doc):
    return Document(io.BytesIO(document_bytes(doc)))


def footer_parts(footer) -> tuple[str, list[str], str]:
    """(visible text, field instructions, alignment) of a footer's only paragraph."""
    (para,) = footer.paragraphs
    instructions = [t.text.strip() for t in para._element.iter(f"{W}instrText")]
    kinds = [c.get(qn("w:fldCharType")) for c in para._element.iter(f"{W}fldChar")]
    assert kinds == ["begin", "separate", "end"]
    return para.text, instructions, para.alignment


def fonts(run) -> tuple[str, str]:
    rfonts = run._element.rPr.rFonts
    return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii"))


def test_document_dates_have_no_leading_zeros():
    assert document_date(datetime.date(2027, 3, 7)) == "2027年3月7日"
    assert document_date(datetime.date(2026, 12, 31)) == "2026年12月31日"


def test_a4_margins_and_page_numbers_on_the_outer_corners():
    doc = official_document()
    official_line(doc, "正文。", BODY_FONT, 16)
    data = document_bytes(doc)
    back = Document(io.BytesIO(data))
    (section,) = back.sections
    sizes = [
        mm(x)
        for x in (
            section.page_width,
            section.page_height,
            section.top_margin,
            section.bottom_margin,
            section.left_margin,
            section.right_margin,
        )
    ]
    assert sizes == [210, 297, 37, 35, 28, 26]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert back.settings.odd_and_even_pages_header_footer
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<w:evenAndOddHeaders/>" in archive.read("word/settings.xml")
    # Odd pages (the default footer) on the right, even pages on the left, each a 4号
    # character from the edge; "— 1 —" around a PAGE field.
    odd = footer_parts(section.footer)
    even = footer_parts(section.even_page_footer)
    assert odd == ("— 1 —", ["PAGE"], WD_ALIGN_PARAGRAPH.RIGHT)
    assert even == ("— 1 —", ["PAGE"], WD_ALIGN_PARAGRAPH.LEFT)
    assert section.footer.paragraphs[0].paragraph_format.right_indent == Pt(14)
    assert section.even_page_footer.paragraphs[0].paragraph_format.left_indent == Pt(14)
    for run in section.footer.paragraphs[0].runs + section.even_page_footer.paragraphs[0].runs:
        assert fonts(run) == PAGE_NUMBER_FONT and run.font.size == Pt(14)
    # The footer sits 7 mm under the type area (35 mm from the bottom): it ends 23 mm up.
    assert mm(section.footer_distance) == 23


def test_a_landscape_page_for_a_wide_table():
    (section,) = read(official_document(landscape=True)).sections
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (mm(section.page_width), mm(section.page_height)) == (297, 210)
    assert footer_parts(section.footer)[1] == ["PAGE"]


def test_the_red_separator_under_the_document_number():
    doc = official_document()
    separator(official_line(doc, "粤组通〔2027〕3号", BODY_FONT, 16, center=True))
    para = read(doc).paragraphs[0]
    bottom = para._element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"
    assert bottom.get(qn("w:val")) == "single"
    assert bottom.get(qn("w:space")) == "11"  # 4 mm under the number


@pytest.mark.parametrize(
    ("issuer", "issuer_indent", "date_indent"),
    [
        # A long issuer: 署名右空二字, the date's first character two to the right of the
        # issuer's (2027年3月7日 is 6 characters wide: the numerals count half).
        ("中共广东省委组织部办公室", 2, 2 + 12 - 2 - 6),
        # A short issuer: the date two characters from the margin, the issuer moved left.
        ("广东省委", 2 + 6 + 2 - 4, 2),
    ],
)
def test_the_signature_block(issuer, issuer_indent, date_indent):
    doc = official_document()
    official_line(doc, "最后一段正文。", BODY_FONT, 16, indent=True)
    signature_block(doc, issuer, datetime.date(2027, 3, 7))
    body, blank, signed, dated = read(doc).paragraphs
    assert blank.text == ""
    assert (signed.text, dated.text) == (issuer, "2027年3月7日")
    for para in (signed, dated):
        assert para.alignment == WD_ALIGN_PARAGRAPH.RIGHT
        assert fonts(para.runs[0]) == BODY_FONT and para.runs[0].font.size == Pt(16)
    assert signed.paragraph_format.right_indent == Pt(16 * issuer_indent)
    assert dated.paragraph_format.right_indent == Pt(16 * date_indent)
    # The date's first character is two characters right of the issuer's.
    issuer_start = issuer_indent + width_in_characters(issuer)
    date_start = date_indent + width_in_characters("2027年3月7日")
    assert issuer_start - date_start == 2
    # Kept on the page of the last body line: never alone on a page.
    assert [p.paragraph_format.keep_with_next for p in (body, blank, signed)] == [True] * 3
    assert not dated.paragraph_format.keep_with_next


def test_an_unsigned_block_has_no_placeholder_line():
    doc = official_document()
    official_line(doc, "最后一段正文。", BODY_FONT, 16, indent=True)
    signature_block(doc, "中共广东省委组织部", None)
    back = read(doc)
    texts = [p.text for p in back.paragraphs]
    assert texts == ["最后一段正文。", "", "中共广东省委组织部"]
    assert back.paragraphs[-1].paragraph_format.right_indent == Pt(32)
    xml = back.element.xml
    assert "成文日期" not in xml and 'w:type="page"' not in xml and "pageBreakBefore" not in xml
