"""The report as a Word document in the layout of an official document (党政机关公文格式).

Following GB/T 9704-2012 as far as a report needs it: A4 with margins of 37 mm top, 35 mm
bottom, 28 mm left and 26 mm right; the title centred in 方正小标宋简体 二号 (22 pt); the author
unit and date under it in 楷体; first-level headings 一、二、三… in 黑体 三号; body text in
仿宋_GB2312 三号 (16 pt) with a two-character first-line indent and a fixed 28 pt line pitch.
Word substitutes 宋体 / 仿宋 where the official fonts are not installed, so the ASCII name of each
run is the common fallback and the East-Asian name the official font.

:func:`build` works from a version's content (the shape of ``services.snapshot``) so that any
submitted version prints exactly as it was submitted.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.utils import timezone
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from shuzhi.core import clock
from shuzhi.reports.reports import services
from shuzhi.reports.reports.models import SECTIONS, Report

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLE_FONT = ("方正小标宋简体", "宋体")
AUTHOR_FONT = ("楷体_GB2312", "楷体")
HEADING_FONT = ("黑体", "黑体")
SUBHEADING_FONT = ("楷体_GB2312", "楷体")
BODY_FONT = ("仿宋_GB2312", "仿宋")
TABLE_FONT = ("仿宋_GB2312", "仿宋")

NUMERALS = "一二三四五六七八九十"
STATUS_LABELS = {
    "open": "待整改",
    "in_progress": "整改中",
    "submitted": "已整改待验收",
    "closed": "已销号",
    "long_term": "持续整改",
}


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (enough for a report's headings)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def _font(run, font: tuple[str, str], size: float, bold: bool = False) -> None:
    official, fallback = font
    run.font.name = fallback
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), official)
    fonts.set(qn("w:ascii"), fallback)
    fonts.set(qn("w:hAnsi"), fallback)
    run.font.size = Pt(size)
    run.bold = bold


def _pitch(paragraph, points: float = 28) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(points)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _line(doc, text: str, font, size: float, *, center=False, indent=False, bold=False):
    paragraph = doc.add_paragraph()
    _font(paragraph.add_run(text), font, size, bold)
    _pitch(paragraph, 36 if size > 20 else 28)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        # Two characters of the body size: the first-line indent of official documents.
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    return paragraph


def _body(doc, text: str) -> None:
    for para in (text or "").splitlines():
        if para.strip():
            _line(doc, para.strip(), BODY_FONT, 16, indent=True)


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, 12)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), TABLE_FONT, 12)


def build(
    content: dict[str, Any], *, unit_name: str, person_name: str, date: datetime.date
) -> bytes:
    """The .docx bytes of one report version."""
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)

    _line(doc, content.get("title", ""), TITLE_FONT, 22, center=True)
    author = f"{unit_name}　{person_name}" if person_name else unit_name
    _line(doc, author, AUTHOR_FONT, 16, center=True)
    _line(doc, f"（{date.year}年{date.month}月{date.day}日）", AUTHOR_FONT, 16, center=True)
    _line(doc, "", BODY_FONT, 16)

    sections = content.get("sections") or {}
    labels = dict(SECTIONS)
    number = 0

    def heading(text: str) -> None:
        nonlocal number
        number += 1
        _line(doc, f"{chinese_number(number)}、{text}", HEADING_FONT, 16, indent=True)

    heading(labels["performance"])
    _body(doc, sections.get("performance", ""))
    indicators = content.get("indicators") or []
    if indicators:
        _line(doc, "主要指标完成情况", SUBHEADING_FONT, 16, indent=True)
        _table(
            doc,
            ["序号", "指标", "完成值", "单位", "说明"],
            [
                [
                    str(i),
                    r.get("name", ""),
                    r.get("value", ""),
                    r.get("unit", ""),
                    r.get("note", ""),
                ]
                for i, r in enumerate(indicators, start=1)
            ],
        )
    heading(labels["problems"])
    _body(doc, sections.get("problems", ""))
    carried = content.get("carried") or []
    heading("上年度问题整改情况")
    if carried:
        _table(
            doc,
            ["序号", "问题", "整改情况", "佐证", "状态"],
            [
                [
                    str(r.get("serial", "")),
                    r.get("description", ""),
                    r.get("answer", ""),
                    r.get("evidence", ""),
                    STATUS_LABELS.get(r.get("status", ""), r.get("status", "")),
                ]
                for r in carried
            ],
        )
    else:
        _body(doc, "上年度无需说明整改情况的问题。")
    topics = content.get("topics") or []
    if topics:
        heading("必答题作答情况")
        for i, topic in enumerate(topics, start=1):
            _line(
                doc,
                f"（{chinese_number(i)}）{topic.get('title', '')}",
                SUBHEADING_FONT,
                16,
                indent=True,
            )
            _body(doc, topic.get("answer", ""))
    heading(labels["next_steps"])
    _body(doc, sections.get("next_steps", ""))

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def report_docx(report: Report, content: dict[str, Any] | None = None) -> bytes:
    """The Word file of ``report``: its latest submitted version, else the current draft."""
    if content is None:
        latest = report.versions.order_by("-number").first()
        content = latest.content if latest else services.snapshot(report)
    when = report.submitted_at
    reporter = report.reporter
    return build(
        content,
        unit_name=reporter.unit.name,
        person_name=reporter.person.name if reporter.person else "",
        date=timezone.localdate(when) if when else clock.today(),
    )


def filename(report: Report) -> str:
    """A download name such as ``广州市委-2026年度述职报告.docx``."""
    reporter = report.reporter
    return f"{reporter.unit.name}-{reporter.round.year}年度述职报告.docx"
