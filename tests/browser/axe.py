"""axe-core on every page the browser tests open.

The vendored ``vendor/axe.min.js`` is added to each browser context as an init script (the
DevTools protocol injects it, so the product's Content-Security-Policy stays as strict as in
production). Each document runs axe once it has loaded and hands the result to Python through
an exposed binding. Violations of impact "serious" or "critical" fail the test: ``goto`` waits
for the page's result and fails at once; pages reached by a click or a form post are collected
and fail the test when its fixture closes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = ("serious", "critical")

# Runs in every document after axe itself. ``__shuzhiAxeDone`` lets ``goto`` wait for the
# result of the page it opened; the result is posted to Python whatever the test does next.
RUNNER = r"""
(() => {
  if (window.top !== window) return;
  let settle;
  window.__shuzhiAxeDone = new Promise((resolve) => { settle = resolve; });
  window.addEventListener('load', () => {
    // Let htmx swap its load-triggered fragments (the navigation counters) first.
    setTimeout(() => {
      window.axe.run(document, {resultTypes: ['violations']}).then((result) => {
        const found = result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
            summary: ((v.nodes[0] && v.nodes[0].failureSummary) || '')
              .split('\n').slice(0, 3).join(' '),
          }));
        return window.__shuzhiAxeReport(location.pathname + location.search, found)
          .catch(() => null)
          .then(() => settle(found));
      }, (error) => settle([{id: 'axe-error', impact: 'critical', help: String(error),
                             helpUrl: '', targets: [], summary: ''}]));
    }, 50);
  });
})();
"""


class AxeLog:
    """The serious and critical violations seen in one browser context, by page."""

    def __init__(self) -> None:
        self.pages: dict[str, list[dict[str, Any]]] = {}
        self.checked: list[str] = []

    def record(self, url: str, violations: list[dict[str, Any]]) -> None:
        self.checked.append(url)
        if violations:
            self.pages.setdefault(url, [])
            known = {v["id"] for v in self.pages[url]}
            self.pages[url].extend(v for v in violations if v["id"] not in known)

    def describe(self) -> str:
        lines = []
        for url, violations in self.pages.items():
            for v in violations:
                lines.append(f"{url}: [{v['impact']}] {v['id']} — {v['help']} ({v['helpUrl']})")
                lines.extend(f"    at {target}" for target in v["targets"])
                if v.get("summary"):
                    lines.append(f"    {v['summary']}")
        return "\n".join(lines)

    def assert_clean(self) -> None:
        if self.pages:
            pytest.fail("axe-core found accessibility violations:\n" + self.describe())


def attach(context: Any) -> AxeLog:
    """Inject axe into every document of ``context`` and collect what it reports."""
    log = AxeLog()
    context.expose_binding("__shuzhiAxeReport", lambda _source, url, found: log.record(url, found))
    context.add_init_script(script=AXE_SOURCE)
    context.add_init_script(script=RUNNER)
    return log


def checked_page(context: Any, base_url: str) -> Any:
    """A page whose ``goto`` waits for axe's verdict on the page it opened."""
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = base_url
    log: AxeLog = context.axe_log
    navigate = page.goto

    def goto(url: str, **kwargs: Any) -> Any:
        response = navigate(url, **kwargs)
        if not page.evaluate("() => typeof window.__shuzhiAxeDone === 'object'"):
            pytest.fail(f"axe-core did not run on {page.url}: see tests/browser/axe.py.")
        settle(page)
        log.assert_clean()
        return response

    page.goto = goto
    return page


def settle(page: Any) -> None:
    """Wait for axe's verdict on the page now shown (if it is a page of the product)."""
    from playwright.sync_api import Error

    # If the page moved on (a redirect by script, a closed page), its successor reports.
    with contextlib.suppress(Error):
        page.evaluate("() => window.__shuzhiAxeDone")


def finish(context: Any) -> None:
    """Collect the verdict on each open page and fail on any blocking violation."""
    for page in context.pages:
        settle(page)
    context.axe_log.assert_clean()


def new_context(browser: Any, base_url: str, **options: Any) -> tuple[Any, Any]:
    """A browser context with axe attached and its first page."""
    context = browser.new_context(**options)
    context.axe_log = attach(context)
    return context, checked_page(context, base_url)
