"""Tables that scale: a 综合评定 page of 500 reporters is paged, fits the screen, keeps its
header row in view while the rows scroll, never breaks a name, a date or a header mid-word,
and changes a grade through the one row whose editor is open."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shuzhi.assessment.grading import services as gs
from shuzhi.assessment.grading.models import GradeRow
from shuzhi.assessment.tests.grading_setup import FORMULA, THRESHOLDS, finished_session, many_rows
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def _single_line(locator) -> bool:
    """The element's text sits on one line: its box is less than two lines high."""
    return bool(
        locator.evaluate(
            "el => el.getBoundingClientRect().height < "
            "2 * parseFloat(getComputedStyle(el).lineHeight || '20')"
        )
    )


def test_500_rows_page_scroll_under_a_sticky_header_and_edit_one_row(page, world):
    session = finished_session(world)
    grading = gs.save_grading(
        actor=world.alice, round=session.annual, formula=FORMULA, thresholds=THRESHOLDS
    )
    gs.compute_suggestions(actor=world.alice, grading=grading)
    many_rows(grading, 500)
    page.set_default_timeout(30_000)  # a shared machine under load; pages of 50 rows

    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/assessment/grading/round/{session.annual.pk}/?q=委&page=2")
    expect(page.get_by_text("共 503 项")).to_be_visible()
    expect(page.get_by_test_id("decide-form")).to_have_count(0)
    # The page fits: the rows scroll inside a frame of at most 75 % of the window, and the
    # whole page is no longer thousands of pixels tall.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1600, f"the page is {height} px tall"

    table = page.locator("#grading-table")
    header = table.locator("thead th").first
    frame = page.locator(".table-scroll").first
    frame.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function("() => document.querySelector('.table-scroll').scrollTop > 200")
    # After scrolling to the last row the header is still at the top of the frame.
    frame_top = frame.evaluate("el => el.getBoundingClientRect().top")
    header_top = header.evaluate("el => el.getBoundingClientRect().top")
    assert abs(header_top - frame_top) < 2, (header_top, frame_top)
    expect(header).to_be_in_viewport()
    # Headers, names and numbers keep to one line.
    for th in table.locator("thead th").all():
        assert _single_line(th), th.inner_text()
    last = table.locator("tbody tr").last
    # The unit's name (the cell's first text) is laid out on one line box.
    assert (
        last.locator("td")
        .nth(1)
        .evaluate(
            "el => { const r = document.createRange(); r.selectNodeContents(el.firstChild);"
            " return r.getClientRects().length === 1; }"
        )
    )

    # Change the grade of the row at the bottom through its own editor.
    name = last.get_attribute("data-unit")
    last.get_by_test_id("edit-row").click()
    row = page.locator(f"tr[data-unit='{name}']")
    expect(row.get_by_test_id("decide-form")).to_be_visible()
    expect(page.get_by_test_id("decide-form")).to_have_count(1)
    row.get_by_label(f"{name}评定等次").select_option("fair_good")
    row.get_by_label("调整理由").fill("年度考核中发现台账不实")
    row.get_by_role("button", name="保存").click()
    row = page.locator(f"tr[data-unit='{name}']")
    expect(row.get_by_text("已保存")).to_be_visible()
    expect(row.get_by_test_id("final")).to_have_text("较好")
    expect(page.get_by_test_id("decide-form")).to_have_count(0)
    saved = GradeRow.objects.get(reporter__unit__name=name, is_current=True)
    assert (saved.final, saved.reason) == ("fair_good", "年度考核中发现台账不实")
