"""Words, not codes, in the browser: the calculation panels of 综合评定 name grades, voter
categories and figures in Chinese and the confirming person by name; a missing page is the
product's own; a submitted report reaches its reviewer's inbox and opens from there; comparing
two versions shows the unchanged carried items as unchanged."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from shuzhi.assessment.tests.grading_setup import finished_session
from shuzhi.cycles import services as cs
from shuzhi.rectification import services as rs
from shuzhi.rectification.models import ProblemSource
from shuzhi.reports.reports import services as report_services
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)

CODES = ("fair_good", "leaders", "public", "counts", "total", "closed", "overdue", "penalty")


def test_the_calculation_panels_speak_chinese(page, world):
    session = finished_session(world)
    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/assessment/grading/round/{session.annual.pk}/settings/")
    page.get_by_label("年度党建考核得分", exact=True).fill("")
    page.get_by_label("民主测评得分", exact=True).fill("0.8")
    page.get_by_label("民主测评得分计算方法").select_option("category_weighted")
    page.get_by_label("整改成效", exact=True).fill("0.2")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("评定规则已保存。")).to_be_visible()
    page.get_by_role("button", name="计算建议等次").click()
    shenzhen = page.locator("tr", has_text="深圳市委")
    panel = page.locator("#derivation-panel")

    shenzhen.get_by_test_id("value-ballot_score").click()
    expect(panel).to_contain_text("领导班子成员 平均")
    expect(panel).to_contain_text("有效票")
    expect(panel).to_contain_text("评价“较好”")
    shenzhen.get_by_test_id("value-rectification").click()
    expect(panel).to_contain_text("问题总数")
    for code in CODES:
        expect(panel).not_to_contain_text(code)

    page.get_by_role("link", name="确定评定结果").click()
    page.get_by_role("button", name="确定全部评定结果").click()
    expect(page.get_by_test_id("grading-status")).to_have_text("已确定")
    expect(page.get_by_text("由 王组织 确定")).to_be_visible()
    expect(page.get_by_text("由 alice 确定")).to_have_count(0)


def test_a_missing_page_is_the_products_own(page, world):
    login(page, "alice", "pw-alice")
    response = page.goto(page.base_url + "/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    # No language switcher anywhere: the interface is Chinese only.
    expect(page.locator('select[name="language"]')).to_have_count(0)


def _round_with_carried(world):
    ProblemSource.objects.update_or_create(
        code="xunshi", defaults={"name": "巡视", "sort_order": 10, "builtin": True}
    )
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440100")
    for text in ("软弱涣散村党组织整顿转化不彻底", "基层报表台账过多，减负不到位"):
        rs.create_problem(
            actor=world.alice,
            unit=world.city_a,
            description=text,
            source="xunshi",
            found_on=datetime.date(2025, 5, 1),
            year=2025,
        )
    return round


def test_the_reviewer_is_told_and_compares_versions(page, world):
    round = _round_with_carried(world)
    report = report_services.ensure_report(actor=world.bob, reporter=round.reporters.get())
    carried = {
        str(row.problem_id): {"answer": "已完成整改，建立长效机制。", "evidence": "验收意见"}
        for row in report.carried.all()
    }
    report_services.save_draft(
        actor=world.bob,
        report=report,
        carried=carried,
        sections={"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"},
    )

    # The secretary submits in the browser.
    login(page, "bob", "pw-bob")
    page.goto(f"{page.base_url}/reports/{report.pk}/")
    page.get_by_role("button", name="提交").first.click()
    expect(page.get_by_text("已提交", exact=False).first).to_be_visible()

    # The province's organiser finds it in the inbox and opens it from there.
    page.context.clear_cookies()
    login(page, "alice", "pw-alice")
    page.goto(page.base_url + "/inbox/")
    notice = page.locator("li", has_text="待审核")
    expect(notice).to_contain_text(report.title)
    notice.get_by_role("button", name="查看").click()
    page.wait_for_url(f"{page.base_url}/reports/{report.pk}/")
    # Let the page finish its requests before writing from the test: SQLite's shared in-memory
    # test database refuses a write while the server thread still reads the report's table.
    page.wait_for_load_state("networkidle")

    # Returned, revised (the title only) and resubmitted; the comparison marks the carried
    # items as unchanged.
    report_services.return_report(actor=world.alice, report=report, comment="请补充数据。")
    report_services.save_draft(actor=world.bob, report=report, title="修改后的述职报告")
    report_services.submit(actor=world.bob, report=report)
    second = report.versions.get(number=2)
    second.content["carried"].reverse()  # stored in another order: still the same items
    second.save()
    page.goto(f"{page.base_url}/reports/{report.pk}/versions/?a=1&b=2")
    carried_part = page.locator('section[data-part="上年度问题整改情况"]')
    expect(carried_part).to_contain_text("无变化")
    expect(carried_part.locator("del, ins")).to_have_count(0)
    expect(page.locator('section[data-part="标题"]').locator("ins")).to_have_count(1)
