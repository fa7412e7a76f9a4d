"""The whole review meeting in the browser: an organiser sets up the round and the session,
opens the ballot and issues codes; three phones vote (one fixing a missing row first) while
the hall screen counts them without reloading — the total only, never per category; the round
closes, the hall waits for 公布结果, the results show, and the Excel workbook, the Word result
sheet and the counted receipts are downloaded and read back. The lone 委员 ballot is below the
minimum of two, so it is counted as cast but enters no result.
"""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from shuzhi.ballots import services as ballots
from shuzhi.ballots.models import BallotRound, BallotRoundStatus, VoteCode
from shuzhi.cycles.models import Round
from shuzhi.meetings.models import Session
from tests.browser import axe
from tests.browser.conftest import login
from tests.browser.test_phone_ballot import open_round_with_quota

pytestmark = pytest.mark.django_db(transaction=True)

# What each phone chooses, by reporting unit. Phone 0 first leaves 深圳市委 out.
CHOICES = [
    {"广州市委": "好", "深圳市委": "较好"},
    {"广州市委": "好", "深圳市委": "好"},
    {"广州市委": "一般", "深圳市委": "好"},
]
# The voter category of each phone's code (codes are handed out per category).
CATEGORY_OF_PHONE = ["leaders", "leaders", "members"]


def _count(unit: str, grade: str) -> int:
    """Ratings of ``unit`` with ``grade`` in the results: the leaders' ballots alone."""
    return sum(
        1
        for choice, category in zip(CHOICES, CATEGORY_OF_PHONE, strict=True)
        if category == "leaders" and choice[unit] == grade
    )


@pytest.fixture
def new_phone(browser, live_server):
    """Open phones as separate browser contexts with a mobile viewport; close them after."""
    contexts = []

    def open_phone():
        context, phone = axe.new_context(
            browser,
            live_server.url,
            locale="zh-CN",
            viewport={"width": 375, "height": 740},
            is_mobile=True,
            has_touch=True,
        )
        contexts.append(context)
        return phone

    yield open_phone
    try:
        for context in contexts:
            axe.finish(context)
    finally:
        for context in contexts:
            context.close()


def _download(page, click) -> bytes:
    with page.expect_download() as download:
        click()
    return download.value.path().read_bytes()


def _row(fieldsets, unit: str):
    return fieldsets.filter(has=fieldsets.page.locator("legend", has_text=unit))


def _set_up_round_and_session(page, world) -> Session:
    """Round, reporters, result threshold, session, agenda and roster — all through the pages."""
    page.get_by_role("link", name="述职评议", exact=True).click()
    page.get_by_role("link", name="新建年度述职评议").click()
    page.get_by_label("主办组织代码").fill(world.province.code)
    page.get_by_label("年度").fill("2026")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("heading", name="选择述职单位")).to_be_visible()

    by_code = page.locator("section", has=page.get_by_role("heading", name="按组织代码"))
    by_code.get_by_label("组织代码").fill(f"{world.city_a.code} {world.city_b.code}")
    by_code.get_by_role("button", name="添加").click()
    expect(page.get_by_text("已添加 2 个述职单位。")).to_be_visible()
    expect(page.get_by_role("heading", name="述职单位与述职人（2）")).to_be_visible()

    # Results show from two ballots on (the default is five; below the site's floor, refused).
    page.get_by_role("link", name="修改名称与规则").click()
    page.get_by_label("结果显示最少票数").fill("1")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("结果显示最少票数不能少于 2")).to_be_visible()
    page.get_by_label("结果显示最少票数").fill("2")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    annual = Round.objects.get(host=world.province, year=2026)
    assert annual.min_ballots == 2

    page.get_by_role("link", name="安排会议").click()
    expect(page.get_by_label("会议名称")).to_have_value("2026年度述职评议会")
    page.get_by_label("会议日期").fill("2026-03-20")
    page.get_by_label("地点").fill("省委大礼堂")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("会议已安排。")).to_be_visible()
    page.get_by_role("button", name="添加本年度全部述职对象").click()
    expect(page.get_by_text("已添加 2 位述职人。")).to_be_visible()
    session = Session.objects.get(round=annual)

    page.get_by_role("link", name="参评人员与签到").click()
    page.get_by_role("button", name="按本年度规则生成参评人员类别").click()
    expect(page.get_by_text("已按本年度规则生成 5 个参评人员类别。")).to_be_visible()
    expect(page.get_by_text("未达到会要求")).to_be_visible()
    for label, expected, present in (("领导班子成员", 3, 3), ("委员", 2, 2)):
        card = page.locator("section.card").filter(
            has=page.get_by_role("heading", name=re.compile(f"^{label} "))
        )
        card.get_by_label("应到").fill(str(expected))
        card.get_by_label("实到").fill(str(present))
        card.get_by_role("button", name="保存人数").click()
        expect(page.get_by_text(f"已更新“{label}”的人数。")).to_be_visible()
    expect(page.get_by_text("已达到会要求")).to_be_visible()
    return session


def _vote(phone, base_url: str, code: str, choices: dict[str, str], *, fix_first: bool) -> str:
    phone.goto(f"{base_url}/v/{code}/")
    expect(phone.get_by_role("button", name="提交选票")).to_be_visible()
    rows = phone.locator("fieldset")
    expect(rows).to_have_count(2)
    units = list(choices)
    if fix_first:
        # The last row is left out: the page says which row, in Chinese, and keeps the rest.
        _row(rows, units[0]).get_by_role("radio", name=choices[units[0]], exact=True).check()
        phone.get_by_role("button", name="提交选票").click()
        expect(phone.get_by_role("alert").first).to_contain_text("选票还有需要修改的地方")
        missing = _row(rows, units[1])
        expect(missing).to_have_class(re.compile(r"\berr\b"))
        expect(missing.locator(".error")).to_have_text("请选择总体评价。")
        expect(_row(rows, units[0]).locator(".error")).to_have_count(0)
        expect(
            _row(rows, units[0]).get_by_role("radio", name=choices[units[0]], exact=True)
        ).to_be_checked()
        assert not VoteCode.objects.get(code=code).used
    for unit, grade in choices.items():
        _row(rows, unit).get_by_role("radio", name=grade, exact=True).check()
    phone.get_by_role("button", name="提交选票").click()
    expect(phone.get_by_role("heading", name="投票成功")).to_be_visible()
    receipt = phone.locator("#receipt").inner_text().strip()
    assert receipt
    return receipt


@pytest.mark.smoke
def test_review_meeting_from_setup_to_exports(page, world, new_phone):
    base = page.base_url
    # The first request of a fresh live server loads every URL module; give it room.
    page.goto(base + "/accounts/login/", timeout=60_000)
    login(page, "alice", "pw-alice")
    session = _set_up_round_and_session(page, world)

    page.goto(f"{base}/meetings/{session.pk}/")
    page.get_by_role("link", name="投票管理").click()
    expect(page.get_by_role("heading", name=re.compile("^投票管理"))).to_be_visible()
    page.get_by_role("button", name="开始正式投票").click()
    # Each of the three supervisors takes their share from the page shown this once.
    expect(page.get_by_role("heading", name=re.compile("第1轮正式投票已开始"))).to_be_visible()
    page.get_by_text("监票人 1：").click()
    expect(page.locator("#share-1 .share-text")).to_be_visible()
    shares = [page.locator(f"#share-{n} .share-text").text_content() or "" for n in (1, 2, 3)]
    page.get_by_role("link", name=re.compile("返回投票管理")).click()
    page.get_by_role("button", name="发放投票码").click()
    expect(page.get_by_text("已发放 9 个投票码")).to_be_visible()  # 3 + 2 expected, 2 spare each
    ballot_round = BallotRound.objects.get(session=session)
    codes = {
        category: list(
            VoteCode.objects.filter(round=ballot_round, category=category).values_list(
                "code", flat=True
            )
        )
        for category in ("leaders", "members")
    }

    # The hall screen, open beside the console, counts the ballots without being reloaded.
    hall = page.context.new_page()
    hall.goto(f"{base}/ballots/hall/{ballot_round.pk}/")
    total = hall.locator("#hall-total-voted")
    expect(total).to_have_text("0")
    expect(hall.get_by_text("结果公布后显示测评结果", exact=False)).to_be_visible()
    hall_url = hall.url

    receipts = []
    for index, choices in enumerate(CHOICES):
        code = codes[CATEGORY_OF_PHONE[index]].pop()
        receipts.append(_vote(new_phone(), base, code, choices, fix_first=index == 0))
    expect(total).to_have_text("3", timeout=6_000)
    # 应到 / 实到 per category, and nothing that says which category voted.
    expect(hall.locator("tr[data-category=leaders] td")).to_have_text(["3", "3"])
    expect(hall.locator("tr[data-category=members] td")).to_have_text(["2", "2"])
    assert hall.url == hall_url

    # A used code cannot vote again.
    again = new_phone()
    again.goto(f"{base}/v/{VoteCode.objects.filter(used=True).first().code}/")
    expect(again.get_by_role("heading", name="该投票码已使用")).to_be_visible()

    page.reload()
    card = page.locator(f"#round-{ballot_round.pk}")
    expect(card).to_contain_text("已投 3 票")
    # Two of the three supervisors type their shares as the round closes: the count follows.
    share_inputs = card.locator("input[name=share]")
    expect(share_inputs).to_have_count(2)
    share_inputs.nth(0).fill(shares[2])
    share_inputs.nth(1).fill(shares[0].lower())
    card.get_by_role("button", name="结束投票").click()
    expect(page.get_by_text("第1轮投票已结束，监票人已开箱计票。")).to_be_visible()
    assert BallotRound.objects.get(pk=ballot_round.pk).status == BallotRoundStatus.CLOSED

    # Closed: the hall waits for publication; then the results appear by themselves.
    expect(hall.get_by_text("投票已结束，结果公布后显示。")).to_be_visible(timeout=6_000)
    expect(hall.locator("#hall-results")).to_have_count(0)
    page.locator(f"#round-{ballot_round.pk}").get_by_role("button", name="公布结果").click()
    expect(page.get_by_text("第1轮投票结果已公布。")).to_be_visible()
    results = hall.locator("#hall-results")
    expect(results).to_be_visible(timeout=6_000)
    expect(hall.get_by_text("委员的选票不足 2 张", exact=False)).to_be_visible()
    header = [text.strip() for text in results.locator("thead th").all_inner_texts()]
    for unit in ("广州市委", "深圳市委"):
        cells = results.locator("tbody tr").filter(has_text=unit).locator("td")
        for grade in ("好", "较好", "一般", "差"):
            expect(cells.nth(header.index(grade))).to_have_text(str(_count(unit, grade)))

    card = page.locator(f"#round-{ballot_round.pk}")
    workbook = load_workbook(
        io.BytesIO(_download(page, card.get_by_role("link", name="导出 Excel").click))
    )
    summary = list(workbook["汇总"].iter_rows(values_only=True))
    columns = list(summary[2])
    by_unit = {row[1]: row for row in summary[3:]}
    assert set(by_unit) == {"广州市委", "深圳市委"}
    for unit in by_unit:
        for grade in ("好", "较好", "一般", "差"):
            assert by_unit[unit][columns.index(grade)] == _count(unit, grade), (unit, grade)
    raw = list(workbook["原始选票"].iter_rows(values_only=True))
    assert len(raw) == 1 + 3
    assert sorted(tuple(row[1:]) for row in raw[1:]) == sorted(
        (c["广州市委"], c["深圳市委"]) for c in CHOICES
    )
    by_category = list(workbook["分类别"].iter_rows(values_only=True))
    assert {(row[0], row[2]) for row in by_category[1:]} >= {
        ("广州市委", "领导班子成员"),
        ("广州市委", "委员"),
    }

    word = card.get_by_role("link", name="导出 Word 结果汇总表")
    sheet = Document(io.BytesIO(_download(page, word.click)))
    text = "\n".join(p.text for p in sheet.paragraphs)
    assert "民主测评结果汇总表" in text
    assert "应到 5 人，实到 5 人，收回有效票 3 张。" in text
    table = sheet.tables[0]
    head = [cell.text for cell in table.rows[0].cells]
    rows = {row.cells[1].text: [cell.text for cell in row.cells] for row in table.rows[1:]}
    assert set(rows) == {"广州市委", "深圳市委"}
    for unit, row in rows.items():
        for grade in ("好", "较好", "一般", "差"):
            assert row[head.index(grade)] == str(_count(unit, grade)), (unit, grade)

    listing = _download(page, card.get_by_role("link", name="下载已计入的回执码").click)
    lines = listing.decode("utf-8").splitlines()
    assert "共 3 个" in lines[0]
    assert sorted(line for line in lines[1:] if line.strip()) == sorted(receipts)


def test_console_links_the_word_result_sheet(page, world):
    shares: list[str] = []
    code = open_round_with_quota(world, {}, shares=shares)[0]
    ballot_round = VoteCode.objects.get(code=code).round
    ballots.close_round(actor=world.alice, ballot_round=ballot_round, shares=shares)
    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/ballots/session/{ballot_round.session_id}/")
    card = page.locator(f"#round-{ballot_round.pk}")
    expect(card.get_by_role("link", name="导出 Excel")).to_be_visible()
    word = card.get_by_role("link", name=re.compile("Word|结果汇总表"))
    expect(word).to_be_visible(timeout=1_000)
    sheet = Document(io.BytesIO(_download(page, word.click)))
    assert "民主测评结果汇总表" in sheet.paragraphs[0].text
