"""A newcomer signs in, finds their scope on their profile page, and signs out."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_shows_scope_and_logout(page, world):
    login(page, "alice", "pw-alice")
    assert page.get_by_role("heading", name="您好，王组织").is_visible()
    # The home page is the person's work; their scope is one click away, on their name.
    page.get_by_role("link", name="王组织").first.click()
    expect(page.get_by_role("heading", name="我的权限 · 王组织")).to_be_visible()
    assert page.get_by_role("link", name="广东省委").first.is_visible()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/accounts/login/")


def test_wrong_password_is_explained_in_chinese(page, world):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("用户名或密码不正确。").is_visible()


def test_phone_layout_has_menu_toggle(phone, world):
    login(phone, "alice", "pw-alice")
    toggle = phone.get_by_role("button", name="菜单")
    assert toggle.is_visible()
    toggle.click()
    assert phone.get_by_role("link", name="组织", exact=True).is_visible()
