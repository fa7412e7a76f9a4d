"""Keyboard only: a voter casts a phone ballot and a secretary writes and saves a report with
Tab, Space, the arrow keys and Enter — never the mouse — and always sees where the focus is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shuzhi.ballots.models import VoteCode
from shuzhi.reports.reports.models import Report, ReportStatus
from tests.browser.conftest import login
from tests.browser.test_phone_ballot import open_round_with_quota
from tests.browser.test_report_journey import _set_up

pytestmark = pytest.mark.django_db(transaction=True)

# What has the focus, and does it show: an outline or a box shadow on the element or, for a
# radio button or checkbox drawn inside its label, on the label.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shows = (node) => {
    if (!node) return false;
    const style = getComputedStyle(node);
    return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
      || style.boxShadow !== 'none';
  };
  const label = el.closest('label');
  const name = (el.getAttribute('aria-label') || (el.labels && el.labels[0]
    && el.labels[0].textContent) || el.textContent || el.value || '').trim();
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: name, value: el.value || '',
          visible: el.matches(':focus-visible') && (shows(el) || shows(label))};
}"""


def focused(page) -> dict:
    state = page.evaluate(FOCUS)
    assert state is not None, "nothing has the keyboard focus"
    return state


def tab_to(page, matches, limit: int = 80) -> dict:
    """Press Tab until the focused element satisfies ``matches``; every stop on the way must
    show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        assert state["visible"], f"focus is not visible on {state}"
        if matches(state):
            return state
    raise AssertionError(f"Tab never reached the element; last stop {state}")


def test_a_voter_casts_the_phone_ballot_with_the_keyboard(phone, world):
    code = open_round_with_quota(world, {})[0]
    phone.goto(f"{phone.base_url}/v/{code}/")

    # First reporter: Tab into its grades, Space chooses the first (好).
    first = tab_to(phone, lambda s: s["type"] == "radio")
    assert first["value"] == "good"
    phone.keyboard.press("Space")
    first_row = phone.locator("fieldset").nth(0)
    expect(first_row.get_by_role("radio", name="好", exact=True)).to_be_checked()

    # Second reporter: Tab past the comment toggle into its grades; the arrow key moves to 较好.
    tab_to(phone, lambda s: s["type"] == "radio")
    phone.keyboard.press("Space")
    phone.keyboard.press("ArrowRight")
    second = phone.locator("fieldset").nth(1)
    expect(second.get_by_role("radio", name="较好", exact=True)).to_be_checked()

    # A comment through the keyboard: open the toggle with Enter, type, move on.
    toggle = tab_to(phone, lambda s: s["tag"] == "summary")
    assert "意见建议" in toggle["name"]
    phone.keyboard.press("Enter")
    tab_to(phone, lambda s: s["tag"] == "textarea")
    phone.keyboard.insert_text("建议进一步加强村级后备力量培养。")

    tab_to(phone, lambda s: s["tag"] == "button" and "提交选票" in s["name"])
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="投票成功")).to_be_visible()
    assert VoteCode.objects.get(code=code).used


def test_a_secretary_writes_and_saves_a_report_with_the_keyboard(page):
    _world, _round = _set_up()
    login(page, "bob", "pw-bob")
    page.goto(page.base_url + "/reports/")

    # The first Tab reaches the skip link, which shows itself and jumps past the navigation.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    tab_to(page, lambda s: s["tag"] == "button" and "开始撰写" in s["name"], limit=20)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="撰写述职报告")).to_be_visible()

    texts = {
        "1. 履职情况": "全年召开市委常委会专题研究党建工作6次，整顿转化软弱涣散村党组织45个。",
        "2. 存在问题及原因": "一是村级后备力量不足，二是部分支部组织生活不规范，原因在于督导不够。",
        "3. 下步打算": "2026年6月底前完成村级后备力量储备，每季度抽查组织生活记录。",
    }
    for label, text in texts.items():
        tab_to(page, lambda s, label=label: s["tag"] == "textarea" and label in s["name"])
        page.keyboard.insert_text(text)
    tab_to(page, lambda s: s["tag"] == "button" and s["name"] == "保存草稿")
    page.keyboard.press("Enter")
    expect(page.get_by_label("2. 存在问题及原因")).to_have_value(texts["2. 存在问题及原因"])

    report = Report.objects.get()
    assert report.status == ReportStatus.DRAFT
    saved = " ".join(str(value) for value in report.sections.values())
    assert all(text in saved for text in texts.values()), report.sections
