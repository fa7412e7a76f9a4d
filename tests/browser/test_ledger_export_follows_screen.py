"""Exports follow the screen: an organiser narrows the ledger with the page's filters and
search, downloads 导出 Excel, and finds in the file exactly the problems on the screen, under a
title row that names the filters."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from shuzhi.rectification.models import ProblemStatus
from shuzhi.rectification.tests.problem_fixtures import put_in_status, record
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def test_a_filtered_ledger_export_holds_the_rows_on_screen(page, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    for n in range(6):
        problem = record(world, description=f"支部组织生活不规范问题{n}")
        if n % 2:
            put_in_status(problem, ProblemStatus.IN_PROGRESS)
    record(world, description="上一年度的遗留问题", year=2024)
    put_in_status(record(world, description="党费收缴不及时"), ProblemStatus.IN_PROGRESS)
    page.set_default_timeout(30_000)  # a shared machine under load

    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/problems/?year=2025")
    page.get_by_label("状态").select_option(ProblemStatus.IN_PROGRESS)
    page.get_by_label("问题描述").fill("支部")
    page.get_by_role("button", name="筛选").click()
    table = page.locator("#ledger-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    shown = sorted(link.inner_text() for link in table.locator("tbody tr td:nth-child(4) a").all())
    assert shown == [f"支部组织生活不规范问题{n}" for n in (1, 3, 5)]

    # On a narrow window the table scrolls sideways rather than breaking a header (年度 stacked
    # one character a line) or a date ("2026-12-/20") across lines.
    page.set_viewport_size({"width": 700, "height": 900})
    one_line = (
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return r.getClientRects().length === 1; }"
    )
    for cell in [*table.locator("thead th").all(), *table.locator("td.cell-date").all()]:
        if cell.is_visible():
            assert cell.evaluate(one_line), cell.inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    rows = list(
        load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active.iter_rows(  # noqa: SIM115
            values_only=True
        )
    )
    assert "筛选条件：年度=2025；状态=整改中；描述含“支部”" in rows[1][0]
    header = list(rows[2])
    described = header.index("问题描述")
    assert sorted(row[described] for row in rows[3:]) == shown
