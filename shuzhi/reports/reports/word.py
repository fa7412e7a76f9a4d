"""The report as a Word document in the layout of an official document (党政机关公文格式).

The page (A4, margins, page numbers "— 1 —") of GB/T 9704 is that of
:mod:`shuzhi.exports.official_docx`, the fonts and lines those of :mod:`shuzhi.exports.word`; this
module decides what the report puts on the page: the title centred in 二号 (22 pt), the author
unit and date under it in 楷体, headings 一、二、三… and the body in 三号 (16 pt), the indicator
and carried-problem tables.

:func:`build` works from a version's content (the shape of ``services.snapshot``) so that any
submitted version prints exactly as it was submitted.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from shuzhi.core import clock
from shuzhi.exports.official_docx import document_date, official_document
from shuzhi.exports.word import (
    AUTHOR_FONT,
    BODY_FONT,
    HEADING_FONT,
    SUBHEADING_FONT,
    TITLE_FONT,
    body_text,
    chinese_number,
    document_bytes,
    official_line,
    official_table,
)
from shuzhi.reports.reports import services
from shuzhi.reports.reports.models import SECTIONS, Report

STATUS_LABELS = {
    "open": "待整改",
    "in_progress": "整改中",
    "submitted": "已整改待验收",
    "closed": "已销号",
    "long_term": "持续整改",
}


def build(
    content: dict[str, Any], *, unit_name: str, person_name: str, date: datetime.date
) -> bytes:
    """The .docx bytes of one report version."""
    doc = official_document()

    official_line(doc, content.get("title", ""), TITLE_FONT, 22, center=True)
    author = f"{unit_name}　{person_name}" if person_name else unit_name
    official_line(doc, author, AUTHOR_FONT, 16, center=True)
    official_line(doc, f"（{document_date(date)}）", AUTHOR_FONT, 16, center=True)
    official_line(doc, "", BODY_FONT, 16)

    sections = content.get("sections") or {}
    labels = dict(SECTIONS)
    number = 0

    def heading(text: str) -> None:
        nonlocal number
        number += 1
        official_line(doc, f"{chinese_number(number)}、{text}", HEADING_FONT, 16, indent=True)

    heading(labels["performance"])
    body_text(doc, sections.get("performance", ""))
    indicators = content.get("indicators") or []
    if indicators:
        official_line(doc, "主要指标完成情况", SUBHEADING_FONT, 16, indent=True)
        official_table(
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
    body_text(doc, sections.get("problems", ""))
    carried = content.get("carried") or []
    heading("上年度问题整改情况")
    if carried:
        official_table(
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
        body_text(doc, "上年度无需说明整改情况的问题。")
    topics = content.get("topics") or []
    if topics:
        heading("必答题作答情况")
        for i, topic in enumerate(topics, start=1):
            official_line(
                doc,
                f"（{chinese_number(i)}）{topic.get('title', '')}",
                SUBHEADING_FONT,
                16,
                indent=True,
            )
            body_text(doc, topic.get("answer", ""))
    heading(labels["next_steps"])
    body_text(doc, sections.get("next_steps", ""))

    return document_bytes(doc)


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
