"""A county secretary records a visit on a phone: one column, no script needed, a problem
found on the way goes into the ledger (source 领导调研走访) and is linked from his year."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shuzhi.field.tests.fixtures import build_field_world

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_county_secretary_records_a_visit_on_a_phone(phone):
    fw = build_field_world()
    base = phone.base_url
    login(phone, "sun", "pw-sun")
    phone.goto(f"{base}/field/mine/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("孙立")
    phone.get_by_role("link", name="记录走访").click()

    # One column on a 375 px screen: the form never scrolls sideways.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    phone.get_by_label("走访单位").select_option(label=fw.world.township_a1x.name)
    phone.get_by_label("调研").check()
    phone.get_by_label("简要情况").fill("听取街道党建工作汇报，与社区书记座谈。")
    phone.get_by_label("发现的问题").fill("社区党员活动室长期闲置")
    phone.get_by_role("button", name="保存走访").click()

    expect(phone.get_by_text("已记录")).to_be_visible()
    expect(phone.get_by_test_id("found")).to_have_text("1")
    phone.get_by_role("link", name="社区党员活动室长期闲置").click()
    expect(phone.get_by_text("领导调研走访").first).to_be_visible()

    phone.goto(f"{base}/problems/?q=活动室")
    expect(phone.get_by_text("社区党员活动室长期闲置").first).to_be_visible()
