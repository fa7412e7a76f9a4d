"""结果运用 pages: lists with filters and pinned queries, the rules table, follow-ups, circulars;
each with its permission cases (anonymous, no grant, in scope, out of scope → 404)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.results.models import (
    Circular,
    CircularStatus,
    ConsequenceRule,
    FollowUp,
    FollowUpStatus,
)
from shuzhi.core.models import AuditEntry
from shuzhi.exports.responses import DOCX, XLSX

from . import results_testing

pytestmark = pytest.mark.urls("shuzhi.assessment.tests.results_urlconf")


@pytest.fixture
def rw(world):
    made = results_testing.build(world)
    results.on_grades_confirmed(actor=world.alice, grading=made.grading, rows=made.rows.values())
    return made


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, rw):
    for url in (
        reverse("results_rounds"),
        reverse("results_round", args=[rw.round.pk]),
        reverse("results_follow_ups"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.smoke
@pytest.mark.django_db
def test_round_list_is_scoped_and_pinned(client, world, rw, django_assert_num_queries):
    client.force_login(world.alice)
    # session, user, grants, count, page of rounds, my open talks
    with django_assert_num_queries(6):
        response = client.get(reverse("results_rounds"))
    assert rw.round.title in response.content.decode()
    client.force_login(world.carol)
    assert rw.round.title not in client.get(reverse("results_rounds")).content.decode()
    client.force_login(rw.sam)
    body = client.get(reverse("results_rounds")).content.decode()
    assert "您有 1 项约谈待办理" in body


@pytest.mark.django_db
def test_round_detail(client, world, rw):
    client.force_login(world.alice)
    body = client.get(reverse("results_round", args=[rw.round.pk])).content.decode()
    assert "起草通报" in body and "导出考核等次" in body
    assert "由党委（党组）书记约谈（15天内）" in body
    client.force_login(rw.sam)
    body = client.get(reverse("results_round", args=[rw.round.pk])).content.decode()
    assert "起草通报</button>" not in body
    for user in (world.carol, world.erin, world.dave):
        client.force_login(user)
        assert client.get(reverse("results_round", args=[rw.round.pk])).status_code == 404


@pytest.mark.smoke
@pytest.mark.django_db
def test_follow_up_list_filters_and_pins_queries(client, world, rw, django_assert_num_queries):
    client.force_login(world.alice)
    url = reverse("results_follow_ups")
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.context["page"].paginator.count == 4
    # More rows do not cost more queries.
    for code in ("440300",):
        old = rw.rows[code]
        new = results_testing.correct(old, "poor")
        results.on_grade_corrected(actor=world.alice, old=old, new=new)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.context["page"].paginator.count == 6
    response = client.get(url, {"kind": "talk", "status": "open"})
    assert response.context["page"].paginator.count == 3
    response = client.get(url, {"q": "荔湾"})
    assert [f.reporter.unit.code for f in response.context["page"]] == ["440103"]
    response = client.get(url, {"round": rw.round.pk, "kind": "commendation"})
    assert response.context["page"].paginator.count == 1
    client.force_login(rw.sam)
    response = client.get(url, {"mine": "on"})
    assert {f.conductor_user_id for f in response.context["page"]} == {rw.sam.pk}
    client.force_login(world.carol)
    assert client.get(url).context["page"].paginator.count == 0
    client.force_login(world.erin)
    assert client.get(url).status_code == 403
    assert client.get(reverse("results_rounds")).status_code == 403


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_holder_marks_a_talk_done_on_the_page(client, world, rw):
    talk = FollowUp.objects.get(reporter__unit__code="440303", kind="talk")
    url = reverse("results_follow_up", args=[talk.pk])
    # The person talked to reads it (they were told) but does not act on it.
    client.force_login(world.bob)
    body = client.get(url).content.decode()
    assert "郑罗湖" in body and "标记完成" not in body
    assert client.post(url, {"action": "done", "done-notes": "x"}).status_code == 403
    client.force_login(world.dave)
    assert client.get(url).status_code == 404
    client.force_login(rw.sam)
    body = client.get(url).content.decode()
    assert "标记完成" in body and "撤销事项" not in body
    response = client.post(url, {"action": "done", "done-notes": ""})
    assert "请填写约谈情况。" in response.content.decode()
    assert client.post(url, {"action": "cancel", "cancel-reason": "x"}).status_code == 403
    response = client.post(url, {"action": "done", "done-notes": "已当面约谈。"})
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.status == FollowUpStatus.DONE and talk.notes == "已当面约谈。"


@pytest.mark.django_db
def test_organiser_schedules_and_cancels(client, world, rw):
    talk = FollowUp.objects.get(reporter__unit__code="440103", kind="talk")
    url = reverse("results_follow_up", args=[talk.pk])
    client.force_login(world.alice)
    response = client.post(
        url, {"action": "schedule", "schedule-due_on": "2026-12-20", "schedule-notes": "周五上午"}
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert str(talk.due_on) == "2026-12-20" and talk.notes == "周五上午"
    assert (
        "撤销原因" in client.post(url, {"action": "cancel", "cancel-reason": ""}).content.decode()
    )
    client.post(url, {"action": "cancel", "cancel-reason": "已调离"})
    talk.refresh_from_db()
    assert talk.status == FollowUpStatus.CANCELLED and talk.cancel_reason == "已调离"


@pytest.mark.django_db
def test_rules_page(client, world, rw):
    url = reverse("results_rules", args=[world.province.pk])
    client.force_login(rw.sam)
    body = client.get(url).content.decode()
    assert "党委（党组）书记" in body and "保存" not in body
    assert client.post(url, {"grade": "average"}).status_code == 403
    for user in (world.carol, world.erin):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(world.alice)
    data = {
        "grade": "average",
        "average-grade_label": "一般",
        "average-talk": "on",
        "average-talk_by": "org_department",
        "average-talk_within_days": "400",
        "average-rectify_within_days": "90",
        "average-criticise": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "确保该值小于或等于365" in response.content.decode() or "365" in (
        response.content.decode()
    )
    response = client.post(url, {**data, "average-talk_within_days": "20"})
    assert response.status_code == 302
    rule = ConsequenceRule.objects.get(host=world.province, grade="average")
    assert rule.talk_within_days == 20
    assert AuditEntry.objects.filter(action="consequence.update").exists()


@pytest.mark.smoke
@pytest.mark.django_db
def test_circular_pages(client, world, rw):
    client.force_login(rw.sam)
    assert client.post(reverse("results_circular_create", args=[rw.round.pk])).status_code == 403
    client.force_login(world.alice)
    response = client.post(reverse("results_circular_create", args=[rw.round.pk]))
    circular = Circular.objects.get()
    assert response["Location"] == reverse("results_circular", args=[circular.pk])
    url = reverse("results_circular", args=[circular.pk])
    form = {
        "title": circular.title,
        "doc_number": "粤组通〔2027〕1号",
        "issuer": "中共广东省委组织部",
        "signed_on": "2027-01-10",
        "scope_text": "各地级以上市委组织部",
        "scope_unit_codes": "440100, 440300",
        "scope_levels": ["city"],
        **{f"section_{s['code']}": s["text"] for s in circular.sections},
    }
    form["section_requirements"] = "请于一个月内报送整改情况。"
    response = client.post(url, {**form, "scope_unit_codes": "999999"})
    assert "找不到这些组织代码" in response.content.decode()
    assert client.post(url, form).status_code == 302
    circular.refresh_from_db()
    assert circular.issuer == "中共广东省委组织部" and circular.scope_levels == ["city"]
    assert circular.scope_units.count() == 2
    client.post(reverse("results_circular_issue", args=[circular.pk]))
    circular.refresh_from_db()
    assert circular.status == CircularStatus.ISSUED
    body = client.get(url).content.decode()
    assert "保存草稿" not in body and "请于一个月内报送整改情况。" in body
    response = client.post(url, {**form, "title": "改标题"}, follow=True)
    assert "通报已印发，不能再修改。" in response.content.decode()
    circular.refresh_from_db()
    assert circular.title != "改标题"
    response = client.get(reverse("results_circular_docx", args=[circular.pk]))
    assert response["Content-Type"] == DOCX
    doc = Document(io.BytesIO(response.content))
    assert "粤组通〔2027〕1号" in [p.text for p in doc.paragraphs]
    client.force_login(world.carol)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_grades_export_page(client, world, rw):
    client.force_login(rw.sam)
    response = client.get(reverse("results_grades_export", args=[rw.round.pk]))
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content))["考核等次"]
    assert sheet.max_row == 6
    client.force_login(world.erin)
    assert client.get(reverse("results_grades_export", args=[rw.round.pk])).status_code == 404


@pytest.mark.django_db
def test_round_page_and_rules_page_queries_are_pinned(client, world, rw, django_assert_num_queries):
    client.force_login(world.alice)
    # session, user, round, grading, distribution, follow-up tally, circulars, rules, scale
    with django_assert_num_queries(9):
        client.get(reverse("results_round", args=[rw.round.pk]))
    for code in ("440300", "440103"):
        old = rw.rows[code]
        results.on_grade_corrected(
            actor=world.alice, old=old, new=results_testing.correct(old, "poor")
        )
    with django_assert_num_queries(9):
        client.get(reverse("results_round", args=[rw.round.pk]))
    # session, user, grants, host, latest scale, stored rules
    with django_assert_num_queries(6):
        client.get(reverse("results_rules", args=[world.province.pk]))
