"""The summary's charts draw in a real browser under the Content-Security-Policy."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser import axe

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
        context, page = axe.new_context(
            browser, live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        yield page
        try:
            axe.finish(context)
        finally:
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


def _login(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"pw-{username}")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base_url + "/")


def _boxes(page, selector: str, text: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector + " svg text",
        """(nodes, text) => nodes.filter(n => n.textContent.includes(text)).map(n => {
               const r = n.getBoundingClientRect();
               return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                       text: n.textContent};
           })""",
        text,
    )


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_the_unit_chart_keeps_legend_and_long_names_apart(page, world, width):
    """The legend stays above the plot and the unit names below it, on a desktop and a phone;
    a long unit name is cut with "…" and stays inside the chart."""
    from shuzhi.orgs.tree.models import Unit

    build_ledger(world)
    long_name = "广州市南沙新区前海深港现代服务业合作区党工委"
    Unit.objects.filter(pk=world.city_a.pk).update(name=long_name)
    page.set_viewport_size({"width": width, "height": 844})
    _login(page, "alice")
    page.goto(page.base_url + "/problems/summary/?unit=440000&year=2026")
    chart = "[data-chart=by_child]"
    page.locator(chart + " svg").wait_for()
    legend = _boxes(page, chart, "其中逾期")
    assert legend, "legend not drawn"
    labels = _boxes(page, chart, "广州市") + _boxes(page, chart, "深圳市委")
    assert len(labels) == 2, labels
    assert any(label["text"].endswith("…") for label in labels)
    assert long_name not in page.locator(chart).inner_text()
    frame = page.locator(chart).bounding_box()
    assert frame is not None
    for label in labels:
        assert not _overlap(label, legend[0]), (label, legend[0])
        assert label["bottom"] <= frame["y"] + frame["height"] + 1
        assert label["top"] > legend[0]["bottom"]


def test_the_ledger_filters_fold_on_a_phone(page, world):
    build_ledger(world)
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, "alice")
    page.goto(page.base_url + "/problems/")
    toggle = page.locator('[data-bs-target="#ledger-filters"]')
    assert toggle.is_visible() and toggle.inner_text() == "筛选"
    assert not page.locator("#ledger-filters").is_visible()
    toggle.click()
    page.locator("#id_q").wait_for(state="visible")
    unit_cell = page.locator("tbody tr td:nth-child(3) a").first
    box = unit_cell.bounding_box()
    assert box is not None and box["height"] < 30  # one line, not a character per line
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(page.base_url + "/problems/")
    assert page.locator("#ledger-filters").is_visible()
    assert not page.locator('[data-bs-target="#ledger-filters"]').is_visible()
