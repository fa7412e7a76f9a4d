"""An organiser derives the city's indicator set from the province's, sees a 留痕 item refused
with the rule cited (live while typing, and again on saving), publishes the set and scores a
district — all through the pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from shuzhi.assessment.indicators import services as svc
from shuzhi.assessment.indicators.models import IndicatorItem, IndicatorSet, ItemScore
from shuzhi.core.testing import unit_type
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def _province_set(world) -> IndicatorSet:
    s = svc.create_set(
        actor=world.alice,
        host=world.province,
        year=2026,
        assessed_type=unit_type("county"),
        title="广东省委2026年度县级党委抓基层党建考核指标",
    )
    for code, name, points in [
        ("A1", "基层党组织标准化规范化建设达标率", "20"),
        ("A2", "软弱涣散基层党组织整顿转化成效", "20"),
        ("A3", "群众对基层党组织服务满意度", "10"),
    ]:
        svc.add_item(actor=world.alice, indicator_set=s, code=code, name=name, max_points=points)
    return svc.publish_set(actor=world.alice, indicator_set=s)


def test_organiser_derives_refuses_trace_item_and_scores(page, world):
    parent = _province_set(world)
    a1, _a2, a3 = parent.items.order_by("sort_order")
    # The first request of a fresh live server loads every URL module; on a busy machine that
    # takes longer than a click should, so it is made once with room to spare.
    page.goto(page.base_url + "/accounts/login/", timeout=60_000)
    login(page, "alice", "pw-alice")

    page.goto(page.base_url + "/assessment/?year=2026")
    page.get_by_role("link", name=parent.title).click()
    page.get_by_role("link", name="派生下级指标体系").click()
    page.get_by_label("下级主办组织代码").fill(world.city_a.code)
    page.get_by_label("名称").fill("广州市委2026年度区委抓基层党建考核指标")
    page.get_by_label(f"保留 {a3.name}").uncheck()
    page.get_by_label(f"本级分值 {a1.name}").fill("15")
    page.get_by_role("button", name="派生").click()
    expect(
        page.get_by_role("heading", name="广州市委2026年度区委抓基层党建考核指标")
    ).to_be_visible()
    expect(page.locator("#governance")).to_contain_text("未发现不符合减负规则的情况")
    child = IndicatorSet.objects.get(parent_set=parent)
    assert [(i.code, str(i.max_points)) for i in child.items.order_by("sort_order")] == [
        ("A1", "15.00"),
        ("A2", "20.00"),
    ]

    # A 留痕 item: the live check refuses it while typing, citing the rule …
    page.get_by_label("编号").fill("B1")
    page.get_by_label("指标性质").select_option("process")
    page.get_by_label("分值").fill("5")
    page.get_by_label("指标名称").fill("党员学习强国学习时长和积分排名")
    preview = page.locator("#trace-preview")
    expect(preview).to_contain_text("不予采用")
    expect(preview).to_contain_text("整治形式主义为基层减负若干规定")
    # … and saving it anyway is refused the same way; nothing is added.
    page.get_by_role("button", name="添加指标").click()
    expect(page.locator("#editor .invalid-feedback")).to_contain_text("不予采用")
    expect(page.locator("#editor .invalid-feedback")).to_contain_text("依据")
    assert not IndicatorItem.objects.filter(set=child, code="B1").exists()

    page.get_by_role("button", name="发布").click()
    expect(page.get_by_text("已发布，可以开始评分。")).to_be_visible()

    page.get_by_role("link", name="评分表").click()
    row = page.get_by_role("row", name=re.compile(world.county_a1.name))
    row.get_by_role("link", name="评分").click()
    page.get_by_label(f"考核得分 {a1.name}").fill("14")
    page.get_by_label(f"评分意见 {a1.name}").fill("达标率 96%，仍有两个支部阵地不规范")
    page.get_by_label("考核得分 软弱涣散基层党组织整顿转化成效").fill("18.5")
    page.get_by_role("button", name="保存评分").click()
    expect(page.locator("#total")).to_have_text("32.50")
    assert ItemScore.objects.filter(annual__set=child, host_points__isnull=False).count() == 2

    page.get_by_role("link", name="评分表").click()
    expect(page.get_by_role("row", name=re.compile(world.county_a1.name))).to_contain_text("32.50")


def test_organiser_keeps_a_refused_item_with_a_reason_and_the_report_prints_it(page, world):
    """A false positive never blocks work: the organiser writes why the item measures a
    result, the item is kept, and the printed governance report shows the reason."""
    draft = svc.create_set(
        actor=world.alice,
        host=world.province,
        year=2026,
        assessed_type=unit_type("county"),
        title="广东省委2026年度县级党委党建工作考核指标",
    )
    reason = "本项考核报送信息所反映问题被采纳并推动解决的比例，评分标准随后修订。"
    page.goto(page.base_url + "/accounts/login/", timeout=60_000)
    login(page, "alice", "pw-alice")
    page.goto(page.base_url + reverse("assessment_set_detail", args=[draft.pk]))
    page.get_by_label("编号").fill("C1")
    page.get_by_label("分值").fill("5")
    page.get_by_label("指标名称").fill("党建工作信息报送质量")
    page.get_by_label("评分标准").fill("全年报送信息不少于12篇，每少1篇扣0.5分")
    preview = page.locator("#trace-preview")
    expect(preview).to_contain_text("不予采用")
    expect(preview).to_contain_text("例如")
    page.get_by_role("button", name="添加指标").click()
    expect(page.locator("#editor .invalid-feedback").first).to_contain_text("不予采用")
    page.get_by_label("采用理由").fill(reason)
    page.get_by_role("button", name="添加指标").click()
    expect(page.locator("#editor table")).to_contain_text("党建工作信息报送质量")
    expect(page.locator("#governance")).to_contain_text("组织者说明理由后采用")
    assert IndicatorItem.objects.get(set=draft, code="C1").override_reason == reason
    page.get_by_role("link", name="打印减负检查报告").click()
    section = page.locator('[data-check="trace"]')
    expect(section).to_contain_text("组织者说明理由后采用")
    expect(section).to_contain_text("评分标准随后修订")
