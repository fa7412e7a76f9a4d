"""The rectification journey in a real browser: the unit (bob) starts work on a problem,
records progress and evidence and submits it for verification; the verifier (dave) closes it
with a verdict; the organiser (alice) carries the year over — the closed item stays behind,
the open one reappears in the new year as 上年度遗留."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from shuzhi.core.testing import build_world
from shuzhi.core.tests.samples import pdf_bytes
from shuzhi.rectification import services

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def _record(world, description: str):
    return services.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description=description,
        source="xuncha",
        found_on=datetime.date(2025, 3, 1),
        year=2025,
        responsible_person_name="孙责任",
        measures="补齐记录，建立检查制度。",
        deadline=datetime.date(2025, 9, 30),
    )


def _switch(page, username: str) -> None:
    page.context.clear_cookies()
    login(page, username, f"pw-{username}")


def test_submit_verify_close_and_carry_over(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    fixed = _record(world, "支部“三会一课”记录不全")
    still_open = _record(world, "党员发展程序不规范")
    base = page.base_url

    # The unit works on the problem and submits it for verification.
    login(page, "bob", "pw-bob")
    page.goto(f"{base}/problems/{fixed.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("待整改")
    page.get_by_role("button", name="开始整改").click()
    expect(page.get_by_test_id("status")).to_have_text("整改中")
    page.get_by_label("整改进展").fill("已逐一核查支部记录并补齐。")
    page.get_by_role("button", name="记录进展").click()
    expect(page.get_by_test_id("notes")).to_contain_text("已逐一核查支部记录并补齐。")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "整改报告.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("evidence")).to_contain_text("整改报告.pdf")
    page.get_by_role("button", name="整改完成，提请验收").click()
    expect(page.get_by_test_id("status")).to_have_text("已整改待验收")
    expect(page.get_by_role("button", name="验收通过，销号")).to_have_count(0)

    # The verifier closes it with a verdict.
    _switch(page, "dave")
    page.goto(f"{base}/problems/{fixed.pk}/")
    page.get_by_role("button", name="验收通过，销号").click()
    # Refused: the error stands beside the verdict field (the form keeps what was typed).
    expect(page.locator("[id^='verdict-'][id$='-error']")).to_contain_text("销号须填写验收意见")
    page.get_by_label("验收意见").fill("现场核查，整改到位。")
    page.get_by_role("button", name="验收通过，销号").click()
    expect(page.get_by_test_id("status")).to_have_text("已销号")
    expect(page.get_by_test_id("verifier")).to_have_text("赵督查")
    expect(page.get_by_test_id("history")).to_contain_text("现场核查，整改到位。")

    # The organiser carries 2025 over: only the open item moves on.
    _switch(page, "alice")
    page.goto(f"{base}/problems/carry-over/")
    page.get_by_label("结转年度").fill("2025")
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_test_id("pending")).to_have_text("1")
    page.get_by_role("button", name="确认结转").click()
    expect(page.get_by_role("alert")).to_contain_text("已将 1 个未销号问题转入2026年度")
    expect(page.get_by_test_id("pending")).to_have_text("0")

    page.goto(f"{base}/problems/{fixed.pk}/")
    expect(page.get_by_test_id("carried-to")).to_have_count(0)
    page.goto(f"{base}/problems/{still_open.pk}/")
    page.get_by_test_id("carried-to").click()
    expect(page).to_have_url(re.compile(r"/problems/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年度第1号")
    expect(page.get_by_test_id("chain")).to_contain_text("由 2025年度第2号 转入")
    expect(page.get_by_text("上年度遗留").first).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("待整改")
