"""Word documents: the GB/T 9704 page, the CJK fonts of each run and the table layout."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from shuzhi.exports.official_docx import official_document
from shuzhi.exports.word import (
    BODY_FONT,
    HEADING_FONT,
    SONG_FONT,
    TITLE_FONT,
    body_text,
    chinese_number,
    document_bytes,
    official_line,
    official_table,
    paragraph,
)


def _fonts(run) -> tuple[str, str]:
    fonts = run._element.rPr.rFonts
    return fonts.get(qn("w:eastAsia")), fonts.get(qn("w:ascii"))


def test_chinese_numbers_for_headings():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 23)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
    ]


def test_an_official_document_on_a4_with_its_margins_and_fonts():
    doc = official_document()
    official_line(doc, "关于年度考核结果的通报", TITLE_FONT, 22, center=True)
    official_line(doc, "一、总体情况", HEADING_FONT, 16, indent=True)
    body_text(doc, "第一段。\n\n第二段。")
    official_table(doc, ["等次", "人数"], [["优秀", "3"]])
    read = Document(io.BytesIO(document_bytes(doc)))
    section = read.sections[0]
    page = (section.page_width, section.page_height, section.top_margin, section.bottom_margin)
    sides = (section.left_margin, section.right_margin)
    # Word stores twentieths of a point: compare in whole millimetres.
    lengths = [round(length.mm) if length is not None else None for length in (*page, *sides)]
    assert lengths == [210, 297, 37, 35, 28, 26]
    title, heading, first, second = read.paragraphs
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert _fonts(title.runs[0]) == TITLE_FONT and title.runs[0].font.size == Pt(22)
    assert title.paragraph_format.line_spacing == Pt(36)
    assert title.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert heading.paragraph_format.first_line_indent == Pt(32)
    assert heading.paragraph_format.line_spacing == Pt(28)
    assert [p.text for p in (first, second)] == ["第一段。", "第二段。"]
    assert _fonts(first.runs[0]) == BODY_FONT
    table = read.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["等次", "人数"]
    assert _fonts(table.rows[0].cells[0].paragraphs[0].runs[-1]) == HEADING_FONT
    assert table.rows[0].cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert [c.text for c in table.rows[1].cells] == ["优秀", "3"]


def test_a_plain_paragraph_in_song():
    doc = official_document()
    paragraph(doc, "民主测评结果汇总表", SONG_FONT, 18, center=True, bold=True)
    run = Document(io.BytesIO(document_bytes(doc))).paragraphs[0].runs[0]
    assert _fonts(run) == SONG_FONT and run.bold and run.font.size == Pt(18)
