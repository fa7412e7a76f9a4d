"""After the committee confirms the grades, the organiser sees the follow-up talks, marks one
done, drafts the circular from the grades, edits it, issues it and downloads the Word file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect

from shuzhi.assessment.grading import services as grading_services
from shuzhi.assessment.results.models import Circular, FollowUp, FollowUpStatus
from shuzhi.assessment.tests import results_testing
from tests.browser.conftest import login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("shuzhi.assessment.tests.results_urlconf"),
]
expect.set_options(timeout=15_000)


def test_organiser_follows_up_and_issues_the_circular(page, world):
    made = results_testing.build(world, status="suggested")
    grading_services.confirm_grades(actor=world.alice, grading=made.grading)
    # The first request of a fresh live server loads every URL module; give it room.
    page.goto(page.base_url + "/accounts/login/", timeout=60_000)
    login(page, "alice", "pw-alice")

    page.goto(page.base_url + "/assessment/results/")
    page.get_by_role("link", name=made.round.title).click()
    expect(page.get_by_role("heading", name=f"{made.round.title} · 结果运用")).to_be_visible()
    page.get_by_role("link", name="约谈", exact=True).click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="罗湖区委")).to_contain_text("孙省委书记")
    rows.filter(has_text="荔湾区委").get_by_role("link", name="约谈").click()
    expect(page.locator("#follow-up-status")).to_have_text("待办理")
    page.get_by_role("button", name="标记完成").click()
    expect(page.get_by_text("请填写约谈情况。")).to_be_visible()
    page.get_by_label("情况记录").fill("组织部于12月5日约谈吴荔湾同志，指出问题，提出整改要求。")
    page.get_by_role("button", name="标记完成").click()
    expect(page.locator("#follow-up-status")).to_have_text("已完成")
    talk = FollowUp.objects.get(reporter__unit__code="440103", kind="talk")
    assert talk.status == FollowUpStatus.DONE and talk.done_by_id == world.alice.pk

    page.goto(page.base_url + f"/assessment/results/rounds/{made.round.pk}/")
    page.get_by_role("button", name="起草通报").click()
    expect(page.locator("#circular-status")).to_have_text("草稿")
    expect(page.get_by_label("通报表扬")).to_contain_text("李广州同志")
    page.get_by_role("button", name="印发").click()
    expect(page.get_by_text("印发前请填写文号。")).to_be_visible()
    page.get_by_label("文号").fill("粤组通〔2027〕5号")
    page.get_by_label("工作要求").fill("被通报批评的同志要在一个月内报送整改方案。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("通报已保存。")).to_be_visible()
    page.get_by_role("button", name="印发").click()
    expect(page.locator("#circular-status")).to_have_text("已印发")
    expect(page.get_by_role("button", name="保存草稿")).to_have_count(0)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Word").click()
    data = Path(info.value.path()).read_bytes()
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert "粤组通〔2027〕5号" in paragraphs
    assert "被通报批评的同志要在一个月内报送整改方案。" in paragraphs
    assert any("郑罗湖同志（考核等次“差”）" in p for p in paragraphs)
    circular = Circular.objects.get()
    assert circular.is_locked and circular.issued_by_id == world.alice.pk
