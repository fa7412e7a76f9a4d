"""The circular (通报): drafted from the grades, edited, issued and locked, read back from Word;
and the grades export for cadre files read back from Excel."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from docx import Document
from openpyxl import load_workbook

from shuzhi.assessment.results import circular as documents
from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.results import services as rs
from shuzhi.assessment.results.models import CircularStatus
from shuzhi.core import clock
from shuzhi.core.models import AuditEntry

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
