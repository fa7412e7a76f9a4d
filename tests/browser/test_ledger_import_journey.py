"""An inspector imports a ledger with one bad row, reads the error, fixes it, imports again and
finds the items in the ledger."""

import importlib

import pytest
from playwright.sync_api import expect

from shuzhi.rectification.models import Problem
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "序号,组织代码,问题来源,问题描述,严重程度,完成时限,整改进展,状态\n"
ROWS = (
    "1,440103,巡察,组织生活会流于形式，会议记录不全,较重,2025-06-30,已召开专题会,整改中\n"
    "2,440103001,{source},发展党员程序不规范,,2025年12月底,,\n"
    "3,440103001001,自查,社区党务公开不及时,,,,\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def sources(transactional_db):
    """The problem sources come from a data migration, which a transactional test before this
    one may have flushed away: put them back the way the migration does."""
    from django.apps import apps

    migration = importlib.import_module("shuzhi.rectification.migrations.0003_default_sources")
    migration.add_sources(apps, None)


def test_inspector_imports_a_ledger(page, world, tmp_path):
    bad = tmp_path / "台账.csv"
    bad.write_text(HEADER + ROWS.format(source="天上掉下来"), encoding="gbk")
    login(page, "dave", "pw-dave")
    page.goto(page.base_url + "/problems/import/")
    expect(page.get_by_label("导入范围（组织代码）")).to_have_value("440103")
    page.get_by_label("年度").fill("2025")
    page.get_by_label("台账文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并导入").click()

    status = page.locator("#import-job-status")
    # The import runs in the background; on a busy machine it may take a while.
    expect(status).to_contain_text("发现 1 处问题，未导入任何数据", timeout=20_000)
    row = status.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("问题来源")
    expect(row.locator("td").nth(2)).to_contain_text("未知的问题来源“天上掉下来”")
    with page.expect_download() as download:
        status.get_by_role("link", name="下载错误报告（Excel）").click()
    assert download.value.suggested_filename.endswith("errors.xlsx")
    assert not Problem.objects.exists()

    good = tmp_path / "台账-修改.csv"
    good.write_text(HEADER + ROWS.format(source="巡视"), encoding="gbk")
    status.get_by_role("link", name="再导入一个文件").click()
    page.get_by_label("年度").fill("2025")
    page.get_by_label("台账文件").set_input_files(str(good))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-job-status")).to_contain_text("新增问题 3 个", timeout=20_000)
    assert (
        Problem.objects.filter(year=2025, unit_path__startswith=world.county_a1.path).count() == 3
    )

    page.get_by_role("link", name="查看台账").click()
    expect(page.locator("main")).to_contain_text("组织生活会流于形式")
    expect(page.locator("main")).to_contain_text("发展党员程序不规范")
    expect(page.locator("main")).to_contain_text("社区党务公开不及时")
