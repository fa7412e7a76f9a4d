"""The summary's charts draw in a real browser under the Content-Security-Policy."""

from __future__ import annotations

import os
import shutil

import pytest

from .ledger_data import build_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("SHUZHI_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        browser.close()


def test_summary_charts_render_without_errors(page, world):
    build_ledger(world)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("pw-alice")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base_url + "/")
    page.goto(page.base_url + "/problems/summary/?unit=440000&year=2026")
    page.locator(".ledger-chart svg").first.wait_for()
    assert page.locator(".ledger-chart svg").count() == 3
    assert "广州市委" in page.locator("[data-chart=by_child]").inner_text()
    assert errors == []
