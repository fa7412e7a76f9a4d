"""The year's plan through the pages: the province publishes its key tasks, a county derives
its list (the verbatim copy flagged, then reworded), a sub-district secretary enters mid-year
progress, and the county sees the matrix and sends a 催办单 shown on the cell."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shuzhi.accounts.models import Role
from shuzhi.core.models import Notification
from shuzhi.core.testing import make_user
from shuzhi.yearplan.keytasks.models import TaskList
from shuzhi.yearplan.progress.models import ProgressNotice, ProgressReport
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def test_plan_derive_progress_matrix_and_notice(page, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_user("olga", (Role.ORGANISER, world.county_a1), full_name="区委组织部")
    tina = make_user("tina", (Role.SECRETARY, world.township_a1x), full_name="沙面书记")
    page.goto(page.base_url + "/accounts/login/", timeout=60_000)
    login(page, "alice", "pw-alice")

    # The province publishes its key tasks.
    page.goto(page.base_url + "/plan/new/")
    page.locator("#id_host_code").fill(world.province.code)
    page.locator("#id_year").fill("2026")
    page.get_by_label("清单名称").fill("广东省2026年度基层党建重点任务")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("heading", name="广东省2026年度基层党建重点任务")).to_be_visible()
    page.get_by_role("link", name="添加任务").click()
    page.get_by_label("任务名称").fill("党员教育培训全覆盖")
    page.get_by_label("任务内容").fill("分级分类开展党员集中培训，参训党员占比达到目标。")
    page.get_by_label("县级党委").check()
    page.get_by_label("街道党工委").check()
    page.get_by_label("目标类型").select_option("number")
    page.get_by_label("目标值").fill("100")
    page.get_by_role("button", name="保存").click()
    # A numeric target without its unit is refused and the form keeps what was typed.
    expect(page.get_by_text("数值目标须填写计量单位")).to_be_visible()
    expect(page.get_by_label("任务名称")).to_have_value("党员教育培训全覆盖")
    page.get_by_label("计量单位").fill("%")
    page.get_by_label("权重").fill("20")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("tasks")).to_contain_text("100 %")
    page.get_by_role("button", name="发布清单").click()
    expect(page.get_by_text("清单已发布")).to_be_visible()

    # The county derives its list: the copy is flagged until it is reworded.
    page.context.clear_cookies()
    login(page, "olga", "pw-olga")
    page.goto(page.base_url + f"/plan/new/?host={world.county_a1.code}&year=2026")
    page.get_by_label("派生自上级清单").select_option(
        label="2026 广东省委：广东省2026年度基层党建重点任务"
    )
    page.get_by_label("清单名称").fill("荔湾区2026年度基层党建重点任务")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_test_id("findings")).to_contain_text("照搬照抄")
    page.get_by_test_id("tasks").get_by_role("link", name="修改").click()
    page.get_by_label("任务内容").fill("街道党工委每季度组织一次党员集中轮训，流动党员线上补学。")
    page.get_by_label("县级党委").uncheck()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("findings")).to_have_count(0)
    page.get_by_role("button", name="发布清单").click()
    expect(page.get_by_text("清单已发布")).to_be_visible()
    county = TaskList.objects.get(host=world.county_a1)

    # The sub-district secretary enters progress at 6/30: behind schedule.
    page.context.clear_cookies()
    login(page, "tina", "pw-tina")
    page.goto(page.base_url + "/plan/progress/?year=2026&checkpoint=2026-06-30")
    card = page.get_by_test_id("task-1")
    expect(card).to_contain_text("街道党工委每季度组织一次党员集中轮训")
    card.get_by_label("完成值（%）").fill("20")
    card.get_by_label("简要说明（200字以内）").fill("上半年完成两期轮训。")
    card.get_by_role("button", name="填报").click()
    expect(page.get_by_text("已填报“党员教育培训全覆盖”的进度")).to_be_visible()
    assert ProgressReport.objects.get(unit=world.township_a1x).state == "behind"

    # The county sees the matrix and sends a 催办单, shown on the cell and in the inbox.
    page.context.clear_cookies()
    login(page, "olga", "pw-olga")
    page.goto(page.base_url + f"/plan/{county.pk}/")
    page.get_by_role("link", name="进度矩阵").click()
    matrix = page.get_by_test_id("matrix")
    expect(matrix.locator("[data-state=behind]")).to_contain_text("20%")
    page.get_by_label(f"选择{world.township_a1x.name}").check()
    page.get_by_label("单据").select_option("urge")
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_text("已向 1 个单位发送催办单")).to_be_visible()
    expect(matrix.locator("[data-state=behind]")).to_contain_text("催办单")
    assert ProgressNotice.objects.get().level_name == "催办单"
    assert Notification.objects.filter(user=tina, title__startswith="催办单").exists()
