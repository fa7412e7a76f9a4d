"""The ledger's pages: the list, the summary, a unit's board and a secretary's own work."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from shuzhi.accounts.models import Grant, Role
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.reports.models import Report

from .ledger_data import build_ledger, freeze, make_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world, monkeypatch):
    freeze(monkeypatch)
    return build_ledger(world)


def _page(client, user, url, params=None, status=200) -> str:
    client.force_login(user)
    response = client.get(url, params or {})
    assert response.status_code == status, response.status_code
    return response.content.decode()


# --- the list ---------------------------------------------------------------------------------


@pytest.mark.smoke
def test_list_filters_search_and_overdue_badge(client, world, ledger):
    url = reverse("ledger_list")
    page = _page(client, world.alice, url)
    assert "巡视发现：干部选拔任用程序不规范" in page and "共 7 条" in page  # this year's
    assert "上年度问题" not in page
    page_all = _page(client, world.alice, url, {"year": ""})  # 全部年度
    assert "共 8 条" in page_all and "上年度问题" in page_all
    assert page.count(">逾期</span>") == 1  # only item 1 is overdue
    assert f'href="/problems/{ledger[1].pk}/"' in page
    assert f'href="/problems/board/{world.province.pk}/?year=2026"' in page
    assert "只看该组织及其下级的问题。" in page  # help text of the unit filter

    page = _page(client, world.alice, url, {"q": "不规范", "year": "2026"})
    assert "党费收缴不规范" in page and "村级集体经济薄弱" not in page
    assert page.count('<a href="/problems/') == 2  # the two matches, rows link to their items
    # A text search is not counted: no total, a note instead, and no pager for one page.
    assert "共 " not in page and "搜索结果较多时不显示总数" in page and "下一页" not in page
    page = _page(client, world.alice, url, {"overdue": "on"})
    assert "共 1 条" in page
    page = _page(client, world.alice, url, {"unit": "440103"})
    assert "共 2 条" in page and "三会一课记录不全" in page
    page = _page(client, world.alice, url, {"responsible": "王五"})
    assert "共 1 条" in page and "基层党组织换届不及时" in page


def test_list_scope_and_unknown_unit(client, world, ledger):
    url = reverse("ledger_list")
    page = _page(client, world.bob, url)
    assert "共 3 条" in page and "三会一课记录不全" not in page
    page = _page(client, world.carol, url, {"unit": "440100"})
    assert "不在您的查看范围内" in page and "共 2 条" in page  # the bad filter is dropped
    page = _page(client, world.erin, url)
    assert "共 0 条" in page and "还没有任何组织的问题查看权限" in page
    client.logout()
    assert client.get(url).status_code == 302


def test_list_pagination_and_cap(client, world, ledger, monkeypatch):
    from shuzhi.rectification import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    monkeypatch.setattr(selectors.CappedPaginator, "cap", 5)
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    page = _page(client, world.alice, reverse("ledger_list"), {"page": "2"})
    assert "第 2 / 2 页" in page and "超过 5 条" in page


def test_search_pages_without_a_count(client, world, ledger, monkeypatch):
    from shuzhi.rectification import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    url = reverse("ledger_list")
    # "不" is in items 1 to 6 of this year: three pages of two, newest first.
    first = _page(client, world.alice, url, {"q": "不", "year": "2026"})
    assert "第 1 页" in first and "下一页" in first and "上一页" not in first
    assert "page=2" in first and "q=%E4%B8%8D" in first  # the search is kept in the links
    assert "共 " not in first and "第 1 / " not in first
    last = _page(client, world.alice, url, {"q": "不", "year": "2026", "page": "3"})
    assert "第 3 页" in last and "上一页" in last and "下一页" not in last
    assert last.count('<a href="/problems/') == 2
    assert "巡视发现：干部选拔任用程序不规范" in last  # item 1, the oldest match
    assert "党费收缴不规范" not in last  # item 5 is on the first page
    # A page number that is not one is the first page.
    assert "第 1 页" in _page(client, world.alice, url, {"q": "不", "page": "x"})


def test_list_buttons_follow_the_users_rights(client, world, ledger):
    """登记问题 and 导入台账 for those who may record and import; 导出 Excel (with the list's
    filters, not its page) for anyone who sees problems."""
    url = reverse("ledger_list")
    params = {"unit": "440100", "year": "2026", "page": "1"}
    new, imports = f'href="{reverse("problem_new")}"', f'href="{reverse("problem_import")}"'
    export = f'href="{reverse("problem_export")}?unit=440100&amp;year=2026"'
    page = _page(client, world.dave, url, params)  # inspector: records and imports
    assert new in page and imports in page and ">导出 Excel</a>" in page
    page = _page(client, world.alice, url, params)
    assert new in page and imports in page and export in page
    page = _page(client, world.bob, url)  # secretary: neither records nor imports
    assert new not in page and imports not in page
    assert f'href="{reverse("problem_export")}"' in page  # no filters, no "?"
    page = _page(client, world.erin, url)
    assert new not in page and imports not in page and ">导出 Excel</a>" not in page


def test_list_links_sources_and_rollover_for_those_allowed(client, world, ledger):
    """问题来源 for whoever may read the source list, 年度结转 for whoever may roll the year
    over; nobody else sees a link to a page that would refuse them."""
    url = reverse("ledger_list")
    sources = f'href="{reverse("problem_sources")}"'
    rollover = f'href="{reverse("problem_carry_over")}"'
    page = _page(client, world.alice, url)  # organiser of the province
    assert sources in page and rollover in page
    page = _page(client, world.bob, url)  # secretary: reads problems, no rollover
    assert sources in page and rollover not in page
    page = _page(client, world.erin, url)
    assert sources not in page and rollover not in page
    page = _page(client, world.root, url)
    assert sources in page and rollover in page


def test_list_filters_fold_on_a_phone(client, world, ledger):
    """The filter form collapses behind a 筛选 toggle below md; the toggle counts the filters
    in force, and a form with errors stays open. The unit column does not wrap."""
    url = reverse("ledger_list")
    page = _page(client, world.alice, url)
    assert 'data-bs-target="#ledger-filters"' in page
    assert 'class="row g-2 mb-3 align-items-end collapse d-md-flex" id="ledger-filters"' in page
    assert 'aria-controls="ledger-filters">筛选</button>' in page
    page = _page(client, world.alice, url, {"year": "2026", "q": "不规范", "page": "1"})
    assert '筛选<span class="badge text-bg-primary ms-1">2</span>' in page
    page = _page(client, world.alice, url, {"year": "1800"})
    assert "collapse d-md-flex show" in page
    page = _page(client, world.alice, url)
    assert '<td class="text-nowrap"><a class="d-inline-block text-truncate' in page
    assert 'title="广东省委"' in page


def test_list_query_count_is_pinned(client, world, ledger, django_assert_num_queries):
    client.force_login(world.alice)
    url = reverse("ledger_list")
    # session, user, grants, sources (form), unit (filter), count, ids, rows
    with django_assert_num_queries(8):
        client.get(url, {"unit": "440100", "year": "2026"})
    for i in range(20):
        make_problem(world.county_a2, description=f"新问题{i}", source="petition")
    with django_assert_num_queries(8):
        page = client.get(url, {"unit": "440100", "year": "2026"}).content.decode()
    assert "新问题19" in page
    # A text search skips the count: session, user, grants, sources, unit, ids, rows.
    with django_assert_num_queries(7):
        page = client.get(url, {"unit": "440100", "q": "新问题"}).content.decode()
    assert "新问题19" in page and "下一页" not in page


# --- the summary ------------------------------------------------------------------------------


@pytest.mark.smoke
def test_summary_page_shows_numbers_and_chart_data(client, world, ledger):
    page = _page(client, world.alice, reverse("ledger_summary"), {"year": "2026"})
    assert "广东省委" in page and '<div class="fs-4" id="total">7</div>' in page
    assert '<div class="fs-4" id="rate">28.6%</div>' in page
    assert "整改率 = 已销号的问题数 ÷ 本年度全部问题数" in page
    assert "vendor/echarts/echarts.min.js" in page and "rectification/ledger_charts.js" in page
    start = page.index('<script id="ledger-chart-data" type="application/json">')
    data = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert ["巡视", 4] in data["by_source"]
    assert data["by_child"][0] == ["广州市委", 4, 1, 0]
    assert "<script>" not in page  # no inline script under the CSP


def test_summary_of_a_chosen_unit_and_scope(client, world, ledger):
    url = reverse("ledger_summary")
    page = _page(client, world.alice, url, {"unit": "440100", "year": "2026"})
    assert '<div class="fs-4" id="total">4</div>' in page and "越秀区委" in page
    # bob's default is his own unit; he sees one level down only.
    page = _page(client, world.bob, url, {"year": "2026"})
    assert "广州市委" in page and '<div class="fs-4" id="total">3</div>' in page
    _page(client, world.carol, url, {"unit": "440100"}, status=404)
    _page(client, world.bob, url, {"unit": "440103001001"}, status=404)  # two levels down
    page = _page(client, world.erin, url)
    assert "还没有任何组织的问题查看权限" in page


def test_summary_query_count_is_pinned(client, world, ledger, django_assert_num_queries):
    client.force_login(world.alice)
    url = reverse("ledger_summary")
    # session, user, grants, unit, grouped, sources, child units, reports
    with django_assert_num_queries(8):
        client.get(url, {"unit": "440000", "year": "2026"})
    for i in range(10):
        make_problem(world.county_b1, description=f"新问题{i}", source="petition")
    with django_assert_num_queries(8):
        client.get(url, {"unit": "440000", "year": "2026"})


# --- the board --------------------------------------------------------------------------------


@pytest.mark.smoke
def test_board_shows_a_units_own_items_read_only(client, world, ledger):
    from shuzhi.rectification.models import ProgressNote

    ProgressNote.objects.create(
        problem=ledger[2], on=datetime.date(2026, 5, 1), text="已召开专题会"
    )
    ProgressNote.objects.create(problem=ledger[2], on=datetime.date(2026, 6, 1), text="制度已印发")
    url = reverse("problem_board", args=[world.city_a.pk])
    page = _page(client, world.bob, url, {"year": "2026"})
    assert "落实全面从严治党主体责任不到位" in page and "制度已印发" in page
    assert "已召开专题会" not in page  # only the latest note
    assert "基层党组织换届不及时" not in page  # a county's item is on the county's board
    assert page.count('method="post"') == 1  # only the logout form of base (ADR 0018)
    _page(client, world.carol, url, status=404)
    _page(client, world.erin, url, status=404)
    _page(client, world.bob, reverse("problem_board", args=[world.village_a1x1.pk]), status=404)
    _page(client, world.alice, reverse("problem_board", args=[999999]), status=404)


def test_board_query_count_is_pinned(client, world, ledger, django_assert_num_queries):
    client.force_login(world.bob)
    url = reverse("problem_board", args=[world.city_a.pk])
    with django_assert_num_queries(7):  # session, user, unit, grants, counts, page count, rows
        client.get(url, {"year": "2026"})
    for i in range(10):
        make_problem(world.city_a, description=f"新问题{i}")
    with django_assert_num_queries(7):
        client.get(url, {"year": "2026"})
    for i in range(10):
        make_problem(world.city_a, description=f"再一个问题{i}")
    with django_assert_num_queries(7):
        client.get(url, {"year": "2026"})


# --- my work ----------------------------------------------------------------------------------


def _round_for_bob(world, ledger):
    round_ = Round.objects.create(
        host=world.province,
        year=2026,
        title="2026 年度述职评议",
        report_due=datetime.date(2026, 6, 30),
    )
    reporter = RoundReporter.objects.create(round=round_, unit=world.city_a)
    Report.objects.create(reporter=reporter, title="述职报告", status="returned", version=1)
    Critique.objects.create(
        reporter=reporter,
        author=world.alice,
        author_label="王组织",
        text="主体责任落实不够",
        published=True,
    )
    Critique.objects.create(reporter=reporter, author=world.alice, text="未发布的点评")
    ledger[2].critique = Critique.objects.get(published=True)
    ledger[2].save()
    return round_


@pytest.mark.smoke
def test_my_work_for_a_secretary(client, world, ledger):
    _round_for_bob(world, ledger)
    page = _page(client, world.bob, reverse("ledger_mine"), {"year": "2026"})
    assert "广州市委" in page
    assert "已退回修改" in page and "2026-06-30" in page
    assert "主体责任落实不够" in page and "未发布的点评" not in page and "点出问题 1 个" in page
    assert "落实全面从严治党主体责任不到位" in page  # due 2026-07-01, within 30 days
    page = _page(client, world.erin, reverse("ledger_mine"))
    assert "这里没有需要您处理的事项" in page


def test_my_work_lists_overdue_items_and_unit_choice(client, world, ledger):
    Grant.objects.create(user=world.dave, unit=world.province, role=Role.VIEWER)
    page = _page(client, world.dave, reverse("ledger_mine"), {"year": "2026"})
    assert "广东省委" in page  # shallowest grant first
    assert "巡视发现：干部选拔任用程序不规范" in page and "逾期" in page
    page = _page(
        client, world.dave, reverse("ledger_mine"), {"unit": world.county_a1.pk, "year": "2026"}
    )
    assert "荔湾区委" in page and "没有逾期的整改事项" in page
    # A unit that is not one of the user's own is ignored.
    page = _page(client, world.dave, reverse("ledger_mine"), {"unit": world.city_b.pk})
    assert "我的工作 · 广东省委" in page


def test_my_work_query_count_is_pinned(client, world, ledger, django_assert_num_queries):
    _round_for_bob(world, ledger)
    client.force_login(world.bob)
    url = reverse("ledger_mine")
    # session, user, my grants, grants (scope), counts, due soon, overdue, reporter, critiques
    with django_assert_num_queries(9):
        client.get(url, {"year": "2026"})
    for i in range(5):
        make_problem(world.city_a, description=f"新问题{i}", deadline=datetime.date(2026, 6, 20))
        make_problem(world.city_a, description=f"旧问题{i}", deadline=datetime.date(2026, 6, 1))
    with django_assert_num_queries(9):
        page = client.get(url, {"year": "2026"}).content.decode()
    assert "新问题4" in page and "旧问题4" in page
