"""一述一评 to 整改方案 in the browser: the host's secretary writes a critique naming two
problems (adding the second row on the page, watching the flag panel clear); both appear in
the ledger with source 上级点评, linked back to the critique; the reporter's secretary drafts
the rectification plan from them and submits it; the host's secretary approves it and the
problems move to 整改中 with the plan's measures.
"""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from shuzhi.accounts.models import Role
from shuzhi.core.testing import make_user
from shuzhi.cycles import services as cs
from shuzhi.cycles.models import RoundReporter
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from tests.browser import axe
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "荔湾区委书记述职实事求是，抓基层党建有思路有举措。但也存在问题："
    "软弱涣散村党组织整顿进度滞后，部分支部“三会一课”流于形式。"
)
FIRST = "软弱涣散村党组织整顿进度滞后，3个村未完成转化"
SECOND = "部分支部“三会一课”流于形式，记录不全"


@pytest.fixture
def as_user(browser, live_server):
    """Open a signed-in page for a user in a browser context of its own."""
    contexts = []

    def open_as(username: str):
        context, page = axe.new_context(
            browser, live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        login(page, username, "pw-" + username)
        return page

    yield open_as
    try:
        for context in contexts:
            axe.finish(context)
    finally:
        for context in contexts:
            context.close()


def test_critique_to_approved_plan(world, as_user):
    make_user("sam", (Role.SECRETARY, world.county_a1), full_name="孙区书记")
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    cs.add_reporters_by_codes(
        actor=world.alice, round=round, codes=f"{world.county_a1.code} {world.county_a2.code}"
    )
    reporter = RoundReporter.objects.get(round=round, unit=world.county_a1)
    deadline = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()

    # The host's secretary critiques 荔湾区委 and names two problems.
    bob = as_user("bob")
    bob.goto(f"{bob.base_url}/reports/critiques/round/{round.pk}/")
    row = bob.locator("tr", has_text="荔湾区委")
    row.get_by_role("link", name="写点评").click()
    panel = bob.locator("#critique-checks")
    expect(panel).to_contain_text("点评没有逐条点出具体问题")
    bob.get_by_label("点评意见").fill(TEXT)
    rows = bob.locator("[data-problem-row]")
    rows.nth(0).get_by_label("问题描述").fill(FIRST)
    rows.nth(0).get_by_label("严重程度").select_option(label="较重")
    bob.get_by_role("button", name="添加问题").click()
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_label("问题描述").fill(SECOND)
    expect(panel).to_contain_text("点评逐条点出了 2 个问题")
    bob.get_by_role("button", name="保存点评").click()
    expect(bob.get_by_role("heading", name="点评：荔湾区委")).to_be_visible()

    # Saved, not published: the problems wait on the critique, out of the ledger.
    critique = Critique.objects.get(reporter=reporter)
    assert not Problem.objects.filter(critique=critique).exists()
    table = bob.locator("table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("待发布")
    bob.get_by_role("button", name="发布点评").click()
    expect(bob.locator(".badge", has_text="已发布")).to_be_visible()

    # Published: the two problems are in the reporting unit's ledger, linked from the critique.
    problems = list(Problem.objects.filter(critique=critique).order_by("serial"))
    assert [p.description for p in problems] == [FIRST, SECOND]
    assert {p.source.name for p in problems} == {"上级点评"}
    assert {p.unit_id for p in problems} == {world.county_a1.pk}
    table = bob.locator("table")
    expect(table.locator("tbody tr")).to_have_count(2)
    for problem in problems:
        link = table.get_by_role("link", name=problem.description)
        expect(link).to_have_attribute("href", f"/problems/{problem.pk}/")
    expect(table).to_contain_text("上级点评")

    # The reporter's secretary drafts the plan from the named problems and submits it.
    sam = as_user("sam")
    sam.goto(f"{sam.base_url}/reports/plans/{reporter.pk}/")
    sam.get_by_role("button", name="编制整改方案").click()
    items = sam.locator("fieldset[data-plan-item]")
    expect(items).to_have_count(2)
    for index in range(2):
        item = items.nth(index)
        expect(item).to_contain_text("点评指出")
        item.get_by_label("整改措施").fill(f"第{index + 1}项：建立台账，逐项销号")
        item.get_by_label("完成时限").fill(deadline)
        item.get_by_label("责任人").fill("钱部长")
        item.get_by_label("责任部门").fill("区委组织部")
    sam.get_by_label("总体思路").fill("对照点评逐项整改，按月调度。")
    sam.get_by_role("button", name="保存方案").click()
    expect(sam.get_by_text("整改方案已保存。")).to_be_visible()
    sam.get_by_role("button", name="报送审批").click()
    expect(sam.locator("#plan-status")).to_have_text("已报送")

    # The superior approves; the ledger now carries the measures and the work has started.
    bob.goto(f"{bob.base_url}/reports/plans/{reporter.pk}/")
    bob.get_by_role("button", name="批准整改方案").click()
    expect(bob.locator("#plan-status")).to_have_text("已批准")
    plan = RectificationPlan.objects.get(reporter=reporter)
    assert plan.status == PlanStatus.APPROVED
    for problem in Problem.objects.filter(critique=critique):
        assert problem.status == ProblemStatus.IN_PROGRESS
        assert problem.responsible_person_name == "钱部长"
        assert problem.deadline.isoformat() == deadline
