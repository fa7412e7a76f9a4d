"""The report in the browser: the secretary of 广州市委 writes the 2026 report, answering last
year's items, watches the quality checklist update as the draft saves itself, and submits; the
province's organiser returns it with a comment; the secretary revises and resubmits; the
organiser compares the two versions and accepts it."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from shuzhi.core.testing import build_world
from shuzhi.cycles import services as cs
from shuzhi.rectification import services as rs
from shuzhi.rectification.models import ProblemSource
from shuzhi.reports.reports.models import Report, ReportStatus
from shuzhi.reports.tests.conftest import load_sample
from tests.browser import axe
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def _set_up():
    """The world, the province's 2026 round and two problems of 广州市委 from 2025."""
    world = build_world()
    # A transactional test starts from empty tables: put back the shipped problem sources.
    ProblemSource.objects.update_or_create(
        code="xunshi", defaults={"name": "巡视", "sort_order": 10, "builtin": True}
    )
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440100 440300")
    for text in ("软弱涣散村党组织整顿转化不彻底", "基层报表台账过多，减负不到位"):
        rs.create_problem(
            actor=world.alice,
            unit=world.city_a,
            description=text,
            source="xunshi",
            found_on=datetime.date(2025, 5, 1),
            year=2025,
        )
    return world, round


def _check(page, code: str):
    return page.locator(f'#checklist [data-check="{code}"]')


def test_write_submit_return_resubmit_accept(page, browser, live_server):
    _world, round = _set_up()
    sample = load_sample("good_report.txt")
    praise = load_sample("praise_report.txt")

    # The secretary opens the report from the reports page.
    login(page, "bob", "pw-bob")
    page.goto(page.base_url + "/reports/")
    page.get_by_role("button", name="开始撰写").click()
    expect(page.get_by_role("heading", name="撰写述职报告")).to_be_visible()
    expect(page.get_by_text("软弱涣散村党组织整顿转化不彻底")).to_be_visible()

    # A praise-only first draft: the checklist, refreshed by htmx on change, flags it.
    page.get_by_label("1. 履职情况").fill(praise["performance"])
    page.get_by_label("2. 存在问题及原因").fill(praise["problems"])
    page.get_by_label("3. 下步打算").fill(praise["next_steps"])
    page.get_by_label("3. 下步打算").blur()
    expect(page.locator("#checklist")).to_contain_text("草稿已自动保存")
    expect(_check(page, "problem_share")).to_have_attribute("data-level", "warn")
    expect(_check(page, "problem_share")).to_contain_text("评功摆好")
    expect(_check(page, "carried")).to_contain_text("须完成")

    # Submitting with last year's items unanswered is refused, naming them.
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("还有 2 项上年度问题")).to_be_visible()
    assert Report.objects.get().status == ReportStatus.DRAFT

    # The honest report with figures, and an answer to each carried item.
    page.get_by_label("1. 履职情况").fill(sample["performance"])
    page.get_by_label("2. 存在问题及原因").fill(sample["problems"])
    page.get_by_label("3. 下步打算").fill(sample["next_steps"])
    page.get_by_label("第 1 号问题的整改情况").fill("已完成整顿转化45个，剩余2个由我挂点包联。")
    page.get_by_label("第 1 号问题的佐证说明").fill("市委组织部2025年11月验收意见")
    page.get_by_label("第 2 号问题的整改情况").fill("报表压减42%，清理政务应用程序11个。")
    page.get_by_label("第 2 号问题的佐证说明").fill("市委减负办通报")
    page.get_by_label("第 2 号问题的佐证说明").blur()
    expect(_check(page, "problem_share")).to_have_attribute("data-level", "ok")
    expect(_check(page, "carried")).to_have_attribute("data-level", "ok")
    expect(_check(page, "concreteness")).to_have_attribute("data-level", "ok")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#report-status")).to_have_text("已提交")

    # The organiser of the province returns it with a comment.
    reviewer, alice = axe.new_context(
        browser, live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    login(alice, "alice", "pw-alice")
    alice.goto(alice.base_url + f"/reports/round/{round.pk}/")
    row = alice.get_by_role("row", name="广州市委")
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name="查看").click()
    expect(alice.locator("#checklist")).to_contain_text("问题与原因")
    alice.get_by_role("button", name="退回修改").click()
    expect(alice.get_by_role("alert")).to_contain_text("退回时必须写明修改意见")
    alice.get_by_label("审核意见").fill("下步打算请写明完成时限。")
    alice.get_by_role("button", name="退回修改").click()
    expect(alice.locator("#report-status")).to_have_text("已退回修改")

    # The secretary sees the comment, revises and resubmits.
    page.goto(page.base_url + f"/reports/{Report.objects.get().pk}/edit/")
    expect(page.get_by_text("下步打算请写明完成时限。")).to_be_visible()
    page.get_by_label("3. 下步打算").fill(
        sample["next_steps"] + "\n五、2026年12月底前完成全部整改。"
    )
    page.get_by_role("button", name="重新提交").click()
    expect(page.locator("#report-status")).to_have_text("已提交")

    # The organiser compares the versions and accepts.
    alice.reload()
    alice.get_by_role("link", name="历史版本（2）").click()
    expect(alice.get_by_text("第 1 版 → 第 2 版")).to_be_visible()
    changed = alice.locator('[data-part="下步打算"]')
    expect(changed.locator("ins")).to_contain_text("2026年12月底前完成全部整改")
    alice.go_back()
    alice.get_by_role("button", name="审核通过").click()
    expect(alice.locator("#report-status")).to_have_text("已审核通过")
    with alice.expect_download() as download:
        alice.get_by_role("link", name="下载 Word").click()
    assert download.value.suggested_filename.endswith(".docx")
    axe.finish(reviewer)
    reviewer.close()
    report = Report.objects.get()
    assert (report.status, report.version) == (ReportStatus.ACCEPTED, 2)
