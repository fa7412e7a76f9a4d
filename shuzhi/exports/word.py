"""How Word documents are written: the 公文 page, Chinese fonts, lines and tables.

The layout of an official document (党政机关公文格式) follows GB/T 9704-2012: the page (A4,
margins, page numbers), the red separator and the signature block are in
:mod:`shuzhi.exports.official_docx`; this module holds the lines on it. Titles in 方正小标宋简体,
the author and date in 楷体, first-level headings 一、二、三… in 黑体 and body text in
仿宋_GB2312 三号 (16 pt) with a two-character first-line indent and a fixed 28 pt line pitch
(:func:`official_line`).

A font is a pair (official East-Asian name, common fallback): Word substitutes the fallback
where the official font is not installed, so the ASCII name of each run is the fallback and the
East-Asian name the official font (:func:`set_font`). Documents that are not 公文 (a ballot's
result sheet, on the same page) use :data:`SONG_FONT` and :func:`paragraph`.

Example::

    doc = official_document()  # shuzhi.exports.official_docx
    official_line(doc, "关于……的通报", TITLE_FONT, 22, center=True)
    official_line(doc, f"{chinese_number(1)}、总体情况", HEADING_FONT, 16, indent=True)
    official_table(doc, ["等次", "人数"], [["优秀", "3"]])
    data = document_bytes(doc)
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

Font = tuple[str, str]  # (official East-Asian font, fallback)

TITLE_FONT: Font = ("方正小标宋简体", "宋体")
AUTHOR_FONT: Font = ("楷体_GB2312", "楷体")
HEADING_FONT: Font = ("黑体", "黑体")
SUBHEADING_FONT: Font = ("楷体_GB2312", "楷体")
BODY_FONT: Font = ("仿宋_GB2312", "仿宋")
TABLE_FONT: Font = ("仿宋_GB2312", "仿宋")
SONG_FONT: Font = ("宋体", "SimSun")

NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (enough for a document's headings)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def set_font(run: Any, font: Font, size: float | None = None, bold: bool = False) -> None:
    """Set ``run`` in ``font`` (East-Asian official name, fallback for the rest)."""
    official, fallback = font
    run.font.name = fallback
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), official)
    fonts.set(qn("w:ascii"), fallback)
    fonts.set(qn("w:hAnsi"), fallback)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def fixed_pitch(paragraph: Any, points: float = 28) -> None:
    """An exact line pitch without space around the paragraph, as official documents set."""
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(points)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def paragraph(
    doc: Any, text: str, font: Font, size: float, *, center: bool = False, bold: bool = False
) -> Any:
    """A paragraph of one run of ``text``, centred if asked."""
    para = doc.add_paragraph()
    set_font(para.add_run(text), font, size, bold)
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return para


def official_line(
    doc: Any,
    text: str,
    font: Font,
    size: float,
    *,
    center: bool = False,
    indent: bool = False,
    bold: bool = False,
) -> Any:
    """A line of an official document: fixed pitch (36 pt for titles, else 28 pt) and, with
    ``indent``, the two-character first-line indent of body text."""
    para = paragraph(doc, text, font, size, center=center, bold=bold)
    fixed_pitch(para, 36 if size > 20 else 28)
    if indent:
        para.paragraph_format.first_line_indent = Pt(size * 2)
    return para


def body_text(doc: Any, text: str, font: Font = BODY_FONT, size: float = 16) -> None:
    """Each non-empty line of ``text`` as an indented body paragraph."""
    for line in (text or "").splitlines():
        if line.strip():
            official_line(doc, line.strip(), font, size, indent=True)


def write_cells(
    cells: Iterable[Any],
    values: Iterable[str],
    font: Font,
    size: float,
    *,
    bold: bool = False,
    center: bool = False,
) -> None:
    """Replace the text of table ``cells`` by ``values``, one run each in ``font``."""
    for cell, text in zip(cells, values, strict=True):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(text), font, size, bold)
        if center:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


def grid_table(
    doc: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[str]] = (),
    *,
    font: Font,
    size: float,
    header_font: Font | None = None,
    header_bold: bool = False,
    header_centred: bool = False,
) -> Any:
    """A centred table with grid lines: the header row, then ``rows``; returns the table so
    the caller may add rows of its own (:func:`write_cells`)."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    write_cells(
        table.rows[0].cells,
        header,
        header_font or font,
        size,
        bold=header_bold,
        center=header_centred,
    )
    for values in rows:
        write_cells(table.add_row().cells, values, font, size)
    return table


def official_table(doc: Any, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Any:
    """A table of an official document: 小四 (12 pt), the header centred in 黑体."""
    return grid_table(
        doc, header, rows, font=TABLE_FONT, size=12, header_font=HEADING_FONT, header_centred=True
    )


def document_bytes(doc: Any) -> bytes:
    """The .docx bytes of ``doc``."""
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
