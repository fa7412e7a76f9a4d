"""An inspector imports a ledger with one bad row, reads the error, fixes it, imports again and
finds the items in the ledger; a county's own layout is mapped in the preview before anything
is written."""

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


def upload_and_confirm(page) -> None:
    """Upload, check the preview recognised the template's columns, confirm."""
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("h1")).to_contain_text("确认列对应")
    expect(page.get_by_label("“问题描述”对应到")).to_have_value("description")
    page.get_by_role("button", name="确认导入").click()


def test_a_county_layout_is_mapped_in_the_preview_then_imported(page, world, tmp_path):
    from openpyxl import Workbook

    from shuzhi.core import clock

    year = clock.today().year
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["荔湾区巡察反馈问题整改台账"])
    sheet.append(["序号", "单位", "反馈渠道", "问题具体内容", "责任主体", None])
    sheet.append([None, None, None, None, "责任领导", "责任人"])
    sheet.append([1, "沙面街道", "巡察", "党员教育管理不严格", "周主任", "吴干事"])
    sheet.append([2, "荔湾区委", "巡察", "基层党建述职评议结果运用不充分", "", "郑科长"])
    sheet.merge_cells("A1:F1")
    sheet.merge_cells("E2:F2")
    path = tmp_path / "县里的台账.xlsx"
    workbook.save(path)

    login(page, "dave", "pw-dave")
    page.goto(page.base_url + "/problems/import/")
    page.get_by_label("年度").fill(str(year))
    page.get_by_label("台账文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()

    # The preview names the columns it did not understand; nothing is written yet.
    expect(page.locator("#preview-problem")).to_contain_text("反馈渠道、问题具体内容")
    expect(page.get_by_label("“责任主体/责任人”对应到")).to_have_value("person")
    assert not Problem.objects.exists()

    page.get_by_label("“反馈渠道”对应到").select_option("source")
    page.get_by_label("“问题具体内容”对应到").select_option("description")
    page.get_by_label("保存为方案（可选）").fill("区巡察台账")
    page.get_by_role("button", name="确认导入").click()

    expect(page.locator("#import-job-status")).to_contain_text("新增问题 2 个", timeout=20_000)
    made = {p.description: p for p in Problem.objects.select_related("unit")}
    assert made["党员教育管理不严格"].unit == world.township_a1x
    assert made["党员教育管理不严格"].responsible_person_name == "吴干事"
    assert made["基层党建述职评议结果运用不充分"].unit == world.county_a1

    # The saved mapping is offered for the next file of this layout.
    page.goto(page.base_url + "/problems/import/")
    page.get_by_label("年度").fill(str(year))
    page.get_by_label("台账文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("link", name="区巡察台账").click()
    expect(page.get_by_label("“问题具体内容”对应到")).to_have_value("description")


def test_inspector_imports_a_ledger(page, world, tmp_path):
    bad = tmp_path / "台账.csv"
    bad.write_text(HEADER + ROWS.format(source="天上掉下来"), encoding="gbk")
    login(page, "dave", "pw-dave")
    page.goto(page.base_url + "/problems/import/")
    expect(page.get_by_label("导入范围（组织代码）")).to_have_value("440103")
    page.get_by_label("年度").fill("2025")
    page.get_by_label("台账文件").set_input_files(str(bad))
    upload_and_confirm(page)

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
    upload_and_confirm(page)
    expect(page.locator("#import-job-status")).to_contain_text("新增问题 3 个", timeout=20_000)
    assert (
        Problem.objects.filter(year=2025, unit_path__startswith=world.county_a1.path).count() == 3
    )

    page.get_by_role("link", name="查看台账").click()
    expect(page.locator("main")).to_contain_text("组织生活会流于形式")
    expect(page.locator("main")).to_contain_text("发展党员程序不规范")
    expect(page.locator("main")).to_contain_text("社区党务公开不及时")
