"""The axe-core check itself: a page with serious violations fails the test that opens it,
whether it is opened by ``goto`` or reached by a click, and says which rule and where."""

from __future__ import annotations

import pytest

BROKEN = """<!doctype html><html><head><title>坏页面</title></head><body>
<main><h1>坏页面</h1>
<form><input type="text" id="nameless"><button type="submit"></button></form>
<a id="onward" href="/axe-probe/second/">下一页</a></main></body></html>"""


def _serve(page, path: str, html: str) -> None:
    page.route(
        page.base_url + path,
        lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
    )


def test_a_page_with_violations_fails_on_goto(page):
    _serve(page, "/axe-probe/", BROKEN)
    with pytest.raises(pytest.fail.Exception) as failed:
        page.goto(page.base_url + "/axe-probe/")
    message = str(failed.value)
    assert "label" in message and "#nameless" in message
    assert "button-name" in message and "html-has-lang" in message
    page.context.axe_log.pages.clear()


def test_a_page_reached_by_a_click_is_checked_too(page):
    clean = BROKEN.replace("<html>", '<html lang="zh-CN">').replace(
        '<input type="text" id="nameless"><button type="submit"></button>',
        '<label for="named">姓名</label><input type="text" id="named">'
        '<button type="submit">提交</button>',
    )
    _serve(page, "/axe-probe/", clean)
    _serve(page, "/axe-probe/second/", BROKEN.replace("<html>", '<html lang="zh-CN">'))
    page.goto(page.base_url + "/axe-probe/")
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**/axe-probe/second/")
    from tests.browser import axe

    axe.settle(page)
    log = page.context.axe_log
    assert list(log.pages) == ["/axe-probe/second/"]
    assert {v["id"] for v in log.pages["/axe-probe/second/"]} >= {"label", "button-name"}
    log.pages.clear()
