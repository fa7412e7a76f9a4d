"""Word export read back, version comparison and the round's archive."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run

from shuzhi.exports.tests.test_official_docx import mm
from shuzhi.reports.reports import archive, services, versions, word
from shuzhi.reports.reports.models import Report

from .conftest import answer_all, load_sample


def _east_asia_font(run: Run) -> str | None:
    """The run's font for Chinese characters (``w:eastAsia``)."""
    properties = run._element.rPr
    assert properties is not None and properties.rFonts is not None
    return properties.rFonts.get(qn("w:eastAsia"))


def _submitted(world, reporter_a):
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    services.save_draft(
        actor=world.bob,
        report=report,
        sections=load_sample("good_report.txt"),
        indicators=[{"name": "软弱涣散党组织转化率", "value": "95.7", "unit": "%", "note": ""}],
        carried=answer_all(report),
    )
    return services.submit(actor=world.bob, report=report)


def test_word_has_the_official_layout_and_everything_read_back(
    world, reporter_a, last_year_problems
):
    report = _submitted(world, reporter_a)
    doc = Document(io.BytesIO(word.report_docx(report)))
    section = doc.sections[0]
    assert section.top_margin is not None and section.left_margin is not None
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    # Page numbers "— N —": odd pages right, even pages left, each a PAGE field.
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.text == even.text == "— 1 —"
    assert (odd.alignment, even.alignment) == (WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT)
    assert "PAGE" in odd._element.xml and "PAGE" in even._element.xml
    paragraphs = [p for p in doc.paragraphs if p.text.strip()]
    title = paragraphs[0]
    assert title.text == "广州市委书记2026年度抓基层党建工作述职报告"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    run = title.runs[0]
    assert run.font.size == Pt(22)
    assert _east_asia_font(run) == "方正小标宋简体"
    assert paragraphs[1].text == "广州市委　甲书记"
    day = timezone.localdate(report.submitted_at)
    assert paragraphs[2].text == f"（{day.year}年{day.month}月{day.day}日）"  # no zero padding
    headings = [p.text for p in paragraphs if p.text[:2] in {"一、", "二、", "三、", "四、"}]
    assert headings == [
        "一、履职情况",
        "二、存在问题及原因",
        "三、上年度问题整改情况",
        "四、下步打算",
    ]
    body = next(p for p in paragraphs if p.text.startswith("2025年，我认真履行"))
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert _east_asia_font(body.runs[0]) == "仿宋_GB2312"
    indicator_table, carried_table = doc.tables
    assert [c.text for c in indicator_table.rows[1].cells] == [
        "1",
        "软弱涣散党组织转化率",
        "95.7",
        "%",
        "",
    ]
    assert [c.text for c in carried_table.rows[0].cells] == [
        "序号",
        "问题",
        "整改情况",
        "佐证",
        "状态",
    ]
    assert carried_table.rows[1].cells[1].text == "软弱涣散村党组织整顿转化不彻底"
    assert carried_table.rows[1].cells[4].text == "待整改"


def test_topics_get_their_own_heading(world, reporter_a, round_2026):
    round_2026.report_topics = [{"code": "study", "title": "理论学习", "hint": ""}]
    round_2026.save()
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    services.save_draft(actor=world.bob, report=report, topic_answers={"study": "我带头学习。"})
    doc = Document(io.BytesIO(word.report_docx(Report.objects.get(pk=report.pk))))
    texts = [p.text for p in doc.paragraphs]
    assert "四、必答题作答情况" in texts and "（一）理论学习" in texts
    assert "五、下步打算" in texts


def test_compare_marks_changed_figures_inline_and_side_by_side():
    old: dict[str, Any] = {
        "title": "报告",
        "sections": {"performance": "我们转化了45个。全年调研21次。"},
    }
    new: dict[str, Any] = {
        "title": "报告",
        "sections": {"performance": "我们转化了47个。全年调研21次。新增一句。"},
    }
    parts = {p.title: p for p in versions.compare(old, new)}
    assert not parts["标题"].changed
    perf = parts["履职情况"]
    assert perf.changed
    inline = [(s.kind, s.text) for s in perf.inline]
    assert ("delete", "5") in inline and ("insert", "7") in inline
    assert ("insert", "新增一句。") in inline
    assert (
        "".join(s.text for s in perf.inline if s.kind != "insert") == old["sections"]["performance"]
    )
    assert (
        "".join(s.text for s in perf.inline if s.kind != "delete") == new["sections"]["performance"]
    )
    tags = [r.tag for r in perf.rows]
    assert tags == ["replace", "equal", "insert"]
    assert versions.as_dict(list(parts.values()))[1]["changed"] is True


def test_archive_holds_each_submitted_report_once(
    world, reporter_a, reporter_b, last_year_problems
):
    _submitted(world, reporter_a)
    services.ensure_report(actor=world.root, reporter=reporter_b)  # a draft: left out
    reports = archive.archived_reports(Report.objects.all())
    out, count = archive.write_zip(reports)
    assert count == 1
    with zipfile.ZipFile(out) as zipped:
        names = zipped.namelist()
        assert names == ["广州市委-2026年度述职报告.docx"]
        doc = Document(io.BytesIO(zipped.read(names[0])))
    assert doc.paragraphs[0].text == "广州市委书记2026年度抓基层党建工作述职报告"
