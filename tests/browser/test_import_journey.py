"""An organiser imports a file with errors, reads the report, fixes the file and imports it."""

import pytest
from playwright.sync_api import expect

from shuzhi.orgs.tree.models import Unit
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

BAD = (
    "code,name,parent_code,type\n"
    "440104001,北京街道党工委,440104,subdistrict\n"
    "440104001001,北京街社区党委,440104001,社区党组织\n"
    "440104002,人民街道党工委,449999,subdistrict\n"
    "440104003,,440104,subdistrict\n"
    "440104004,白云乡党委,440104,no_such_type\n"
)
GOOD = (
    "code,name,parent_code,type\n"
    "440104001,北京街道党工委,440104,subdistrict\n"
    "440104001001,北京街社区党委,440104001,社区党组织\n"
    "440104002,人民街道党工委,440104,subdistrict\n"
    "440104003,东山街道党工委,440104,subdistrict\n"
    "440104004,白云乡党委,440104,township\n"
)


def test_import_with_errors_then_fixed(page, world, tmp_path):
    bad = tmp_path / "units.csv"
    bad.write_text(BAD, encoding="gbk")  # as Excel on Chinese Windows saves it
    login(page, "alice", "pw-alice")
    page.get_by_role("link", name="导入", exact=True).click()
    page.get_by_label("导入文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并导入").click()

    status = page.locator("#import-job-status")
    expect(status).to_contain_text("未导入任何数据")
    table = status.locator("table")
    expect(table).to_contain_text("449999")  # the unknown parent, on its row
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("td").first).to_have_text("4")
    with page.expect_download() as download:
        status.get_by_role("link", name="下载完整问题清单（CSV）").click()
    report = download.value.path().read_bytes().decode("utf-8-sig")
    assert report.splitlines()[0] == "行号,列,问题"
    assert len(report.strip().splitlines()) == 4
    assert not Unit.objects.filter(code__startswith="440104").exclude(code="440104").exists()

    good = tmp_path / "units-fixed.csv"
    good.write_text(GOOD, encoding="utf-8")
    status.get_by_role("link", name="再导入一个文件").click()
    page.get_by_label("导入文件").set_input_files(str(good))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-job-status")).to_contain_text("新建 5 个")
    village = Unit.objects.get(code="440104001001")
    assert village.parent.code == "440104001"
    assert village.path.startswith(world.county_a2.path)
