"""An organiser sets the grading rules of a finished session, sees the suggestions with how
each number came about, changes one grade with a reason and confirms all grades as one act;
the secretary of 广州市委 then sees the grade and acknowledges it — all through the pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shuzhi.assessment.grading.models import GradeRow, GradingStatus
from shuzhi.assessment.tests.grading_setup import finished_session
from shuzhi.core.models import AuditEntry
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def test_committee_grades_and_secretary_acknowledges(page, world):
    session = finished_session(world)
    base = f"{page.base_url}/assessment/grading/round/{session.annual.pk}/"

    login(page, "alice", "pw-alice")
    page.goto(base)
    expect(page.get_by_text("尚未设置综合评定规则")).to_be_visible()
    page.get_by_role("link", name="设置评定规则").click()
    page.get_by_label("年度党建考核得分", exact=True).fill("")
    page.get_by_label("民主测评得分", exact=True).fill("0.7")
    page.get_by_label("民主测评得分计算方法").select_option("good_rate")
    page.get_by_label("整改成效", exact=True).fill("0.2")
    page.get_by_role("button", name="保存").click()
    # Weights summing to 0.9 are refused with the rule stated.
    expect(page.get_by_text("各组成部分的权重之和必须等于 1（现为 0.9）")).to_be_visible()
    page.get_by_label("民主测评得分", exact=True).fill("0.8")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("评定规则已保存。")).to_be_visible()

    page.get_by_role("button", name="计算建议等次").click()
    expect(page.get_by_text("已计算 3 个述职对象的综合得分和建议等次。")).to_be_visible()
    shenzhen = page.locator("tr", has_text="深圳市委")
    expect(shenzhen.get_by_test_id("composite")).to_have_text("92.00")
    expect(shenzhen.get_by_test_id("suggested")).to_have_text("好")

    # Every number opens its derivation in the panel.
    shenzhen.get_by_test_id("composite").click()
    panel = page.locator("#derivation-panel")
    expect(panel).to_contain_text("0.8 × 90.00（民主测评得分） + 0.2 × 100.00（整改成效） = 92.00")
    shenzhen.get_by_test_id("value-ballot_score").click()
    expect(panel).to_contain_text("好 占有效票 10 张的 90.00%")
    shenzhen.get_by_test_id("suggested").click()
    expect(panel).to_contain_text("综合得分 92.00 ≥ 好分数线 90")

    # The committee lowers 深圳市委 to 较好: first without a reason (refused), then with one.
    # The rows show grades, not forms: one row at a time opens its editor.
    expect(page.get_by_test_id("decide-form")).to_have_count(0)
    shenzhen.get_by_test_id("edit-row").click()
    form = shenzhen.get_by_test_id("decide-form")
    form.get_by_label("深圳市委评定等次").select_option("fair_good")
    form.get_by_role("button", name="保存").click()
    expect(page.locator("tr", has_text="深圳市委").get_by_role("alert")).to_have_text(
        "评定等次与建议等次不同，必须说明理由。"
    )
    row = page.locator("tr", has_text="深圳市委")
    # The refused row keeps the chosen grade and says nothing is saved; the reason alone,
    # added to it, saves the lowered grade.
    expect(row.get_by_label("深圳市委评定等次")).to_have_value("fair_good")
    expect(row.get_by_text("已保存")).to_have_count(0)
    row.get_by_label("调整理由").fill("述职材料与实际不符")
    row.get_by_role("button", name="保存").click()
    expect(page.locator("tr", has_text="深圳市委").get_by_text("已保存")).to_be_visible()
    # Saved, the row closes its editor and shows the grade it now holds.
    expect(page.locator("tr", has_text="深圳市委").get_by_test_id("final")).to_have_text("较好")
    expect(page.get_by_test_id("decide-form")).to_have_count(0)
    assert GradeRow.objects.get(reporter__unit__name="深圳市委", is_current=True).final == (
        "fair_good"
    )

    page.get_by_role("link", name="确定评定结果").click()
    expect(page.get_by_text("深圳市委：理由 述职材料与实际不符")).to_be_visible()
    expect(page.get_by_test_id("summary")).to_contain_text("较好")
    page.get_by_role("button", name="确定全部评定结果").click()
    expect(page.get_by_test_id("grading-status")).to_have_text("已确定")
    expect(page.locator("tr", has_text="深圳市委").get_by_test_id("final")).to_have_text("较好")
    assert session.annual.grading.status == GradingStatus.CONFIRMED
    assert AuditEntry.objects.filter(action="grading.confirm").count() == 1

    # The secretary of 广州市委 sees the grade and acknowledges it.
    page.context.clear_cookies()
    login(page, "bob", "pw-bob")
    page.goto(f"{page.base_url}/assessment/grading/mine/")
    card = page.get_by_test_id("my-grade")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("广州市委")
    expect(card.get_by_test_id("my-final")).to_have_text("好")
    card.get_by_role("button", name="确认知悉").click()
    expect(page.get_by_text(re.compile(r"已于 .* 确认知悉"))).to_be_visible()
    row = GradeRow.objects.get(reporter__unit=world.city_a, is_current=True)
    assert row.acknowledged_by == world.bob
