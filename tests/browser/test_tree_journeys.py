"""An organiser browses and searches the tree, moves a subtree and reads its history."""

import re

import pytest
from playwright.sync_api import expect

from shuzhi.orgs.tree.models import Unit
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_browse_tree_on_demand_and_search(page, world):
    login(page, "alice", "pw-alice")
    page.get_by_role("link", name="组织", exact=True).click()
    tree = page.get_by_label("组织树")
    expect(tree.get_by_role("link", name="广东省委")).to_be_visible()
    # Children are not in the page until their parent is opened.
    expect(tree.get_by_role("link", name="广州市委")).to_have_count(0)
    tree.locator("summary").first.click()
    expect(tree.get_by_role("link", name="广州市委")).to_be_visible()
    expect(tree.get_by_role("link", name="深圳市委")).to_be_visible()

    page.get_by_role("searchbox").fill("沙面")
    page.get_by_role("button", name="搜索").click()
    results = page.locator("#tree-search")
    expect(results.get_by_role("link", name="沙面社区党委")).to_be_visible()
    expect(results).to_contain_text("荔湾区委")  # each hit shows its path
    results.get_by_role("link", name="沙面社区党委").click()
    expect(page.get_by_role("heading", name=re.compile("沙面社区党委"))).to_be_visible()
    expect(page.get_by_role("navigation", name="层级路径")).to_contain_text("广州市委")


def test_move_subtree_then_read_history(page, world):
    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/units/{world.county_a1.pk}/")
    page.get_by_role("link", name="移动").click()
    page.get_by_label("新上级组织代码").fill(world.township_a1x.code)
    page.get_by_role("button", name="移动", exact=True).click()
    # Moving into its own subtree is refused with the reason, and nothing changes.
    expect(page.get_by_text("不能把组织移动到它自己或它的下级组织之下")).to_be_visible()
    assert Unit.objects.get(pk=world.county_a1.pk).parent_id == world.city_a.pk

    page.get_by_label("新上级组织代码").fill(world.city_b.code)
    page.get_by_role("button", name="移动", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("荔湾区委"))).to_be_visible()
    village = Unit.objects.get(pk=world.village_a1x1.pk)
    assert village.path.startswith(world.city_b.path)

    page.get_by_role("link", name="操作记录").last.click()
    history = page.locator("table")
    expect(history).to_contain_text("unit.move")
    expect(history).to_contain_text("广州市委 → 深圳市委")
    expect(history).to_contain_text("王组织")
