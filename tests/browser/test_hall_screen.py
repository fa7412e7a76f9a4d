"""The hall screen on a projector: nothing of the results before 公布结果, then every result
row shown in turn, a page at a time, at a size read from the back of the room — at 1920×1080
and at 1280×720, from the product's own origin only."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from shuzhi.ballots import services as ballots
from shuzhi.ballots.models import VoteCode
from shuzhi.ballots.tests.meeting_setup import make_meeting, shares_of
from tests.browser import axe
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

REPORTERS = 15
GRADES = ("good", "fair_good", "average", "poor")

# Every row on screen, fully inside the window (not hidden by the pager, not cut off).
ROWS_ON_SCREEN = """() => Array.from(document.querySelectorAll('#hall-results tbody tr'))
  .filter(r => r.offsetParent !== null)
  .filter(r => { const b = r.getBoundingClientRect();
                 return b.top >= 0 && b.bottom <= window.innerHeight; })
  .map(r => Number(r.dataset.row))"""
CELL_FONT_PX = """() => parseFloat(getComputedStyle(
  document.querySelector('#hall-results tbody td')).fontSize)"""


def _closed_round(world):
    """A closed, counted, unpublished round of fifteen reporters, ten ballots cast by phone
    (five per category: the usual minimum, so every row has figures)."""
    meeting = make_meeting(world, reporters=REPORTERS, expected=(6, 5))
    ballot_round = ballots.open_round(actor=world.alice, session=meeting.session)
    ballots.issue_codes(actor=world.alice, ballot_round=ballot_round, margin=0)
    for category in ("leaders", "members"):
        codes = VoteCode.objects.filter(round=ballot_round, category=category).order_by("code")
        for n, code in enumerate(codes[:5]):
            ratings = {
                str(r["id"]): {"overall": GRADES[(i + n) % 4]}
                for i, r in enumerate(ballot_round.reporters)
            }
            ballots.submit_ballot(code=code.code, nonce=f"{category}-{n}", ratings=ratings)
    # Closed and counted by the supervisors: results exist, publication shows them.
    ballots.close_round(
        actor=world.alice, ballot_round=ballot_round, shares=shares_of(ballot_round)
    )
    return meeting, ballot_round


def _rows_seen_over_time(hall, limit: float) -> set[int]:
    """Rows that were fully on screen at some moment within ``limit`` seconds."""
    seen: set[int] = set()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and len(seen) < REPORTERS:
        seen.update(hall.evaluate(ROWS_ON_SCREEN))
        hall.wait_for_timeout(500)
    return seen


def test_projector_pages_through_every_row_only_after_publication(browser, live_server, world):
    meeting, ballot_round = _closed_round(world)
    base = live_server.url
    context, hall = axe.new_context(
        browser, base, locale="zh-CN", viewport={"width": 1920, "height": 1080}
    )
    requests: list[str] = []
    hall.on("request", lambda request: requests.append(request.url))
    hall.goto(base + "/accounts/login/", timeout=60_000)
    login_page = hall
    login_page.base_url = base  # type: ignore[attr-defined]
    login(login_page, "alice", "pw-alice")

    # Closed but not published: totals only, not one reporter's name or result.
    hall.goto(f"{base}/ballots/hall/{ballot_round.pk}/?interval=3")
    expect(hall.get_by_text("投票已结束，结果公布后显示。")).to_be_visible()
    expect(hall.locator("#hall-total-voted")).to_have_text("10")
    expect(hall.locator("#hall-results")).to_have_count(0)
    body = hall.locator("body").inner_text()
    assert not any(r.reporter.unit.name in body for r in meeting.reporters)
    assert "好率" not in body
    expect(hall.get_by_role("button", name="全屏")).to_be_visible()
    icon = hall.locator("link[rel=icon]").get_attribute("href")
    assert icon and hall.request.get(base + icon).ok

    # The organiser publishes; the screen picks it up by itself, without a reload.
    url = hall.url
    ballots.publish_round(actor=world.alice, ballot_round=ballot_round)
    results = hall.locator("#hall-results")
    expect(results).to_be_visible(timeout=8_000)
    assert hall.url == url
    expect(hall.locator("#hall-status")).to_contain_text("结果已公布")
    expect(hall.get_by_text("有效票不足")).to_have_count(0)

    # Fifteen rows do not fit at a readable size: the pager shows a page at a time.
    pages = hall.locator("#hall-page")
    expect(pages).to_have_text("第 1 / 2 页")
    per_page = int(results.get_attribute("data-rows-per-page") or 0)
    assert 6 <= per_page < REPORTERS, per_page  # readable rows, not all at once
    assert 0 < len(hall.evaluate(ROWS_ON_SCREEN)) <= per_page
    assert hall.evaluate(CELL_FONT_PX) >= 28  # large type at 1920×1080
    seen = _rows_seen_over_time(hall, limit=12)
    assert seen == set(range(1, REPORTERS + 1)), sorted(seen)

    # The same screen at 1280×720: the type scales down with the screen and stays readable,
    # a page still holds several rows, and every row is shown in turn.
    hall.set_viewport_size({"width": 1280, "height": 720})
    hall.wait_for_timeout(300)
    assert hall.evaluate(CELL_FONT_PX) >= 18
    per_page = int(results.get_attribute("data-rows-per-page") or 0)
    assert 6 <= per_page < REPORTERS, per_page
    assert 0 < len(hall.evaluate(ROWS_ON_SCREEN)) <= per_page
    seen = _rows_seen_over_time(hall, limit=20)
    assert seen == set(range(1, REPORTERS + 1)), sorted(seen)

    # Nothing came from outside the product's own origin.
    assert requests and all(u.startswith(base) for u in requests), [
        u for u in requests if not u.startswith(base)
    ]
    axe.finish(context)
    context.close()
