"""The circular (通报): drafted from the grades, edited, issued and locked, read back from Word;
and the grades export for cadre files read back from Excel."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from openpyxl import load_workbook

from shuzhi.assessment.results import circular as documents
from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.results import services as rs
from shuzhi.assessment.results.models import CircularStatus
from shuzhi.core import clock
from shuzhi.core.models import AuditEntry
from shuzhi.exports.tests.test_sheets import assert_prints

from . import results_testing


@pytest.fixture
def rw(world):
    made = results_testing.build(world)
    results.on_grades_confirmed(actor=world.alice, grading=made.grading, rows=made.rows.values())
    return made


def _text(data: bytes) -> tuple[list[str], list[list[str]]]:
    doc = Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    rows = [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]
    return paragraphs, rows


@pytest.mark.smoke
@pytest.mark.django_db
def test_draft_is_generated_from_the_grades(world, rw):
    circular = rs.create_circular(actor=world.alice, round_=rw.round)
    assert circular.status == CircularStatus.DRAFT
    assert circular.title == f"关于{rw.round.title}结果的通报"
    assert circular.issuer == "广东省委"
    data = circular.data
    assert data["total"] == 4
    assert [(d["label"], d["count"], d["share"]) for d in data["distribution"]] == [
        ("好", 1, "25.0%"),
        ("较好", 1, "25.0%"),
        ("一般", 1, "25.0%"),
        ("差", 1, "25.0%"),
    ]
    assert [e["unit"] for e in data["commended"]] == ["广州市委"]
    criticised = {e["unit"]: e for e in data["criticised"]}
    assert set(criticised) == {"荔湾区委", "罗湖区委"}
    assert "由党委（党组）书记约谈" in criticised["罗湖区委"]["must"]
    assert "限期整改" in criticised["罗湖区委"]["must"]
    assert "由组织部门约谈" in criticised["荔湾区委"]["must"]
    sections = {s["code"]: s["text"] for s in circular.sections}
    assert "李广州同志" in sections["commended"]
    assert "郑罗湖同志（考核等次“差”）" in sections["criticised"]
    assert AuditEntry.objects.filter(action="circular.create").exists()


@pytest.mark.django_db
def test_a_circular_needs_confirmed_grades_and_round_change(world, rw):
    rw.grading.status = "suggested"
    rw.grading.save(update_fields=["status"])
    with pytest.raises(ValidationError) as err:
        rs.create_circular(actor=world.alice, round_=rw.round)
    assert err.value.message_dict["__all__"] == ["综合评定确定后才能起草通报。"]
    rw.grading.status = "confirmed"
    rw.grading.save(update_fields=["status"])
    for user in (world.bob, world.carol, rw.sam):
        with pytest.raises(PermissionDenied):
            rs.create_circular(actor=user, round_=rw.round)


@pytest.mark.smoke
@pytest.mark.django_db
def test_edit_issue_lock_and_read_back(world, rw):
    circular = rs.create_circular(actor=world.alice, round_=rw.round)
    with pytest.raises(ValidationError) as err:
        rs.issue_circular(actor=world.alice, circular=circular)
    assert "doc_number" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        rs.update_circular(actor=world.alice, circular=circular, title="", sections={"x": "y"})
    assert set(err.value.message_dict) == {"title", "sections"}
    circular.refresh_from_db()
    assert circular.title.startswith("关于"), "a refused edit changes nothing"
    rs.update_circular(
        actor=world.alice,
        circular=circular,
        doc_number="粤组通〔2027〕3号",
        signed_on=datetime.date(2027, 1, 15),
        sections={"requirements": "各地要抓好整改落实。\n整改情况于3月底前报送。"},
        scope_units=[world.city_a.pk, world.city_b.pk],
        scope_levels=["city", "county"],
        scope_text="各市委组织部",
    )
    entry = AuditEntry.objects.get(action="circular.update")
    assert entry.changes["sections"] == [None, ["requirements"]]
    assert entry.changes["doc_number"] == ["", "粤组通〔2027〕3号"]
    with pytest.raises(ValidationError):
        rs.update_circular(actor=world.alice, circular=circular, scope_levels=["planet"])
    issued = rs.issue_circular(actor=world.alice, circular=circular)
    assert issued.status == CircularStatus.ISSUED and issued.issued_by == world.alice
    with pytest.raises(ValidationError) as err:
        rs.update_circular(actor=world.alice, circular=circular, title="改")
    assert err.value.message_dict["__all__"] == ["通报已印发，不能再修改。"]
    with pytest.raises(ValidationError):
        rs.regenerate_circular(actor=world.alice, circular=circular)

    paragraphs, table = _text(documents.build_docx(issued))
    assert paragraphs[0] == "广东省委文件"
    assert "粤组通〔2027〕3号" in paragraphs
    assert issued.title in paragraphs
    assert "各市委组织部：" in paragraphs
    assert "二、考核结果" in paragraphs
    assert any("李广州同志" in p for p in paragraphs)
    assert any(p.startswith("罗湖区委郑罗湖同志（考核等次“差”）") for p in paragraphs)
    assert "整改情况于3月底前报送。" in paragraphs
    assert "2027年1月15日" in paragraphs
    assert paragraphs[-1] == "发至：各市委组织部，广州市委，深圳市委。"
    assert "（成文日期）" not in paragraphs
    assert table[0] == ["考核等次", "人数", "占比"]
    assert table[1] == ["好", "1", "25.0%"]
    assert table[-1] == ["合计", "4", "100%"]


@pytest.mark.django_db
def test_regenerate_refreshes_the_figures_of_a_draft(world, rw):
    circular = rs.create_circular(actor=world.alice, round_=rw.round)
    rs.update_circular(actor=world.alice, circular=circular, sections={"intro": "手改的导语"})
    old = rw.rows["440300"]
    new = results_testing.correct(old, "good")
    results.on_grade_corrected(actor=world.alice, old=old, new=new)
    circular = rs.regenerate_circular(actor=world.alice, circular=circular)
    assert [e["unit"] for e in circular.data["commended"]] == ["广州市委", "深圳市委"]
    assert circular.sections[0]["text"] != "手改的导语"
    assert AuditEntry.objects.filter(action="circular.regenerate").exists()


@pytest.mark.smoke
@pytest.mark.django_db
def test_grades_export_reads_back(world, rw):
    book = load_workbook(io.BytesIO(documents.grades_xlsx(rw.round)))
    sheet = book["考核等次"]
    assert sheet["A2"].value == "单位" and sheet["E2"].value == "考核等次"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 4
    first = rows[0]
    assert first[:7] == ("广州市委", "440100", "李广州", 2026, "好", 93.5, 1)
    assert first[7] == "广州市委抓基层党建工作评价意见。"
    assert first[8].date() == clock.today()
    assert {r[4] for r in rows} == {"好", "较好", "一般", "差"}
    assert_prints(sheet, landscape=True, title_rows="$2:$2")  # nine columns


@pytest.mark.django_db
def test_export_shows_only_current_rows(world, rw):
    old = rw.rows["440303"]
    results_testing.correct(old, "average")
    rows = list(
        load_workbook(io.BytesIO(documents.grades_xlsx(rw.round)))["考核等次"].iter_rows(
            min_row=3, values_only=True
        )
    )
    assert len(rows) == 4
    assert [r[4] for r in rows if r[0] == "罗湖区委"] == ["一般"]


def _docx(data: bytes):
    return Document(io.BytesIO(data))


@pytest.mark.django_db
def test_the_circular_prints_as_gb_t_9704_asks(world, rw):
    """The page, the page numbers, the red line under the number, the signature and the date,
    read back from the file."""
    circular = rs.create_circular(actor=world.alice, round_=rw.round)
    rs.update_circular(
        actor=world.alice,
        circular=circular,
        doc_number="粤组通〔2027〕3号",
        signed_on=datetime.date(2027, 3, 7),
    )
    circular.refresh_from_db()
    doc = _docx(documents.build_docx(circular))
    (section,) = doc.sections
    page = [section.page_width, section.page_height, section.top_margin, section.bottom_margin]
    page += [section.left_margin, section.right_margin]
    assert [round(x.mm) for x in page] == [210, 297, 37, 35, 28, 26]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        para = footer.paragraphs[0]
        assert para.text == "— 1 —" and para.alignment == getattr(WD_ALIGN_PARAGRAPH, side.upper())
        assert " PAGE " in [t.text for t in para._element.iter(qn("w:instrText"))]
        assert para.runs[0].font.size == Pt(14)
        assert para.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"

    paragraphs = doc.paragraphs
    texts = [p.text for p in paragraphs]
    mark = paragraphs[0]
    assert mark.text == "广东省委文件" and mark.runs[0].font.color.rgb == RGBColor(0xFF, 0, 0)
    number = paragraphs[texts.index("粤组通〔2027〕3号")]
    line = number._element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert line.get(qn("w:color")) == "FF0000" and line.get(qn("w:val")) == "single"
    # Title in 2号小标宋, the body in 3号仿宋.
    title = paragraphs[texts.index(circular.title)]
    assert title.runs[0].font.size == Pt(22)
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = paragraphs[texts.index("二、考核结果") + 1]
    assert body.runs[0].font.size == Pt(16)
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    # 发文机关署名 and 成文日期: right-aligned, the date in Arabic numerals without zero padding,
    # its first character two characters right of the issuer's; kept with the body.
    at = texts.index("2027年3月7日")
    signed, dated = paragraphs[at - 1], paragraphs[at]
    assert signed.text == "广东省委"
    assert signed.alignment == dated.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert (signed.paragraph_format.right_indent, dated.paragraph_format.right_indent) == (
        Pt(16 * 6),
        Pt(16 * 2),
    )
    assert paragraphs[at - 3].paragraph_format.keep_with_next  # the last body line
    assert signed.paragraph_format.keep_with_next
    assert "2027年03月07日" not in "".join(texts)


@pytest.mark.django_db
def test_an_unsigned_draft_prints_no_date_placeholder(world, rw):
    circular = rs.create_circular(actor=world.alice, round_=rw.round)
    doc = _docx(documents.build_docx(circular))
    texts = [p.text for p in doc.paragraphs]
    assert "（草稿，未编文号）" in texts
    at = texts.index("广东省委")
    # No date line after the issuer: the distribution line follows.
    assert texts[at + 1 :] == ["", "发至：广东省委所属各级党组织。"]
    assert doc.paragraphs[at - 1].paragraph_format.keep_with_next
    xml = doc.element.xml
    assert "成文日期" not in xml and 'w:type="page"' not in xml


@pytest.mark.django_db
def test_follow_up_dates_in_the_draft_have_no_zero_padding(world, rw):
    circular = rs.create_circular(actor=world.alice, round_=rw.round)
    criticised = next(s["text"] for s in circular.sections if s["code"] == "criticised")
    assert not re.search(r"年0\d月|月0\d日", criticised)
