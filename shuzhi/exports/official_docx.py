"""The 公文 page of GB/T 9704-2012, shared by every Word file the product writes.

:func:`official_document` starts a document on A4 (210 × 297 mm) with the standard's margins
(天头 37 mm, 订口 28 mm, 翻口 26 mm, bottom 35 mm) and its page numbers: "— 1 —" in 4号 半角宋体,
7 mm below the type area, odd pages on the right and even pages on the left, each a blank
character from the edge (different odd and even footers, each with a PAGE field, so Word and WPS
number the pages themselves). A wide table may ask for a landscape page (横排表格).

For documents with a 版头 and a signature:

- :func:`separator` draws the red line under the 发文字号, as wide as the type area, 4 mm below;
- :func:`signature_block` lays out 发文机关署名 and 成文日期 as the standard does for a document
  without a seal (7.3.5.2): one blank line under the body, the issuer two characters from the
  right margin, the date on the next line starting two characters to the right of the issuer
  (the date two characters from the margin when it is the longer), both kept on the page of the
  last body line so that neither is ever printed alone on a page; without a date, no date line;
- :func:`document_date` writes a date the standard's way: 2027年3月7日 (Arabic numerals, no
  leading zeros).

Example::

    doc = official_document()
    official_line(doc, "粤组通〔2027〕3号", BODY_FONT, 16, center=True)
    separator(doc.paragraphs[-1])
    ...
    signature_block(doc, "中共广东省委组织部", datetime.date(2027, 3, 7))
"""

from __future__ import annotations

import datetime
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from shuzhi.exports.word import BODY_FONT, Font, official_line, set_font

PAGE_NUMBER_FONT: Font = ("宋体", "宋体")  # 半角宋体: the digits in 宋体 at half width
PAGE_NUMBER_SIZE = 14  # 4号
BODY_SIZE = 16  # 3号
RED = "FF0000"
# The red line: 1.5 pt (w:sz counts eighths of a point), 4 mm (11 pt) under the 发文字号.
SEPARATOR_SIZE = 12
SEPARATOR_SPACE = 11
# The page number's 一字线 sits 7 mm under the type area, which ends 35 mm above the page's
# bottom: the footer (one 14 pt line, about 5 mm) ends 23 mm above it.
FOOTER_DISTANCE_MM = 23


def document_date(day: datetime.date) -> str:
    """2027年3月7日: Arabic numerals, the full year, month and day without a leading zero."""
    return f"{day.year}年{day.month}月{day.day}日"


def official_document(*, landscape: bool = False) -> Any:
    """A new document on A4 with the margins and page numbers of GB/T 9704.

    ``landscape`` turns the page for a wide table; the margins keep their place relative to
    the text.
    """
    doc = Document()
    for section in doc.sections:
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
        else:
            section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    page_numbers(doc)
    return doc


def page_numbers(doc: Any) -> None:
    """ "— N —" in every footer: odd pages on the right, even pages on the left."""
    doc.settings.odd_and_even_pages_header_footer = True
    for section in doc.sections:
        _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
        _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(footer: Any, alignment: Any) -> None:
    footer.is_linked_to_previous = False
    para = footer.paragraphs[0]
    para.alignment = alignment
    fmt = para.paragraph_format
    # 单页码居右空一字，双页码居左空一字 (one 4号 character).
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = Pt(PAGE_NUMBER_SIZE)
    else:
        fmt.left_indent = Pt(PAGE_NUMBER_SIZE)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(PAGE_NUMBER_SIZE)
    fmt.space_before = fmt.space_after = Pt(0)
    _text(para, "— ")
    _field(para, "PAGE", "1")
    _text(para, " —")


def _text(para: Any, text: str) -> Any:
    run = para.add_run(text)
    set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    return run


def _field(para: Any, instruction: str, shown: str) -> None:
    """A field (PAGE) as Word writes it: begin, instruction, separate, the last value, end."""

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        _text(para, "")._element.append(element)

    char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    _text(para, "")._element.append(code)
    char("separate")
    _text(para, shown)
    char("end")


def separator(para: Any, colour: str = RED) -> None:
    """The red line under ``para`` (the 发文字号), as wide as the type area."""
    borders = para._element.get_or_add_pPr().find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        para._element.get_or_add_pPr().append(borders)
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(SEPARATOR_SIZE))
    bottom.set(qn("w:space"), str(SEPARATOR_SPACE))
    bottom.set(qn("w:color"), colour)
    borders.append(bottom)


def width_in_characters(text: str) -> float:
    """How many full-width characters ``text`` takes: ASCII (Arabic numerals) counts half."""
    return sum(0.5 if ord(char) < 128 else 1 for char in text)


def signature_block(
    doc: Any, issuer: str, day: datetime.date | None, *, font: Font = BODY_FONT
) -> list[Any]:
    """发文机关署名 and 成文日期 under the body (GB/T 9704 7.3.5.2); answers the paragraphs.

    Both lines and the blank line above them are kept with the last body paragraph, so a page
    break never leaves them alone on a page. Without ``day`` only the issuer is printed.
    """
    if doc.paragraphs:
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
    blank = official_line(doc, "", font, BODY_SIZE)
    blank.paragraph_format.keep_with_next = True
    issuer_width = width_in_characters(issuer)
    date = document_date(day) if day else ""
    date_width = width_in_characters(date)
    if not date or issuer_width - date_width >= 2:
        # 发文机关署名右空二字; the date starts two characters right of the issuer.
        issuer_right, date_right = 2.0, issuer_width - date_width
    else:
        # 成文日期长于发文机关署名: the date two characters from the margin, the issuer moved left.
        issuer_right, date_right = 2 + date_width + 2 - issuer_width, 2.0
    lines = [blank]
    for text, right in ((issuer, issuer_right), (date, date_right)):
        if not text:
            continue
        para = official_line(doc, text, font, BODY_SIZE)
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        para.paragraph_format.right_indent = Pt(BODY_SIZE * right)
        para.paragraph_format.keep_with_next = True
        lines.append(para)
    lines[-1].paragraph_format.keep_with_next = False
    return lines
