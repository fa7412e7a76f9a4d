"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

No browser is downloaded: the executable is /usr/bin/chromium (``make browser-deps``).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser import axe

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
# set up data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SHUZHI_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A desktop page; axe-core checks every page it opens (see axe.py)."""
    context, page = axe.new_context(
        browser, live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    yield page
    try:
        axe.finish(context)
    finally:
        context.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized touch page; axe-core checks every page it opens."""
    context, page = axe.new_context(
        browser,
        live_server.url,
        locale="zh-CN",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    yield page
    try:
        axe.finish(context)
    finally:
        context.close()


def login(page, username: str, password: str) -> None:
    """Sign in through the login form."""
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base_url + "/")
