"""The ledger's reads: filters, scope, the subtree summary and its numbers."""

from __future__ import annotations

import pytest

from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.rectification import selectors
from shuzhi.rectification.selectors import LedgerFilters
from shuzhi.reports.reports.models import Report

from .ledger_data import build_ledger, freeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world, monkeypatch):
    freeze(monkeypatch)
    return build_ledger(world)


def _ids(user, **filters) -> set[int]:
    rows = selectors.ledger_queryset(user, LedgerFilters(**filters))
    return set(rows.values_list("pk", flat=True))


def _n(ledger, *numbers) -> set[int]:
    return {ledger[n].pk for n in numbers}


@pytest.mark.smoke
def test_each_filter_narrows_the_list(world, ledger):
    alice = world.alice
    assert _ids(alice) == _n(ledger, 1, 2, 3, 4, 5, 6, 7, 8)
    assert _ids(alice, year=2026) == _n(ledger, 1, 2, 3, 4, 5, 6, 7)
    assert _ids(alice, year=2025) == _n(ledger, 8)
    assert _ids(alice, source="xunshi", year=2026) == _n(ledger, 1, 2, 5, 7)
    assert _ids(alice, status="closed") == _n(ledger, 3, 6, 8)
    assert _ids(alice, severity="major") == _n(ledger, 2, 6)
    assert _ids(alice, overdue=True) == _n(ledger, 1)
    assert _ids(alice, unit=world.city_a, year=2026) == _n(ledger, 2, 3, 4, 5)
    assert _ids(alice, unit=world.county_a1) == _n(ledger, 3, 4)
    assert _ids(alice, q="不规范") == _n(ledger, 1, 5)
    assert _ids(alice, q="党费 不规范") == _n(ledger, 5)
    assert _ids(alice, responsible="张") == _n(ledger, 2, 7)  # person 张三, leader 张书记
    assert _ids(alice, responsible="王五") == _n(ledger, 3)
    assert _ids(alice, source="xunshi", status="open", overdue=True) == _n(ledger, 1)


def test_overdue_follows_the_clock(world, ledger, monkeypatch):
    import datetime

    from shuzhi.core import clock

    monkeypatch.setattr(clock, "today", lambda: datetime.date(2026, 7, 2))
    assert _ids(world.alice, overdue=True) == _n(ledger, 1, 2)


def test_orderings(world, ledger):
    rows = selectors.ledger_queryset(world.alice, LedgerFilters(year=2026))
    assert list(rows.values_list("pk", flat=True))[:2] == [ledger[7].pk, ledger[6].pk]
    by_deadline = selectors.ledger_queryset(world.alice, LedgerFilters(order="deadline"))
    assert by_deadline.first() == ledger[4]  # 2026-01-01 is the earliest deadline
    by_unit = selectors.ledger_queryset(world.alice, LedgerFilters(order="unit", year=2026))
    assert by_unit.first() == ledger[1]  # the province's path is a prefix of every other


@pytest.mark.smoke
def test_scope_bob_sees_city_a_and_one_level_carol_city_b_erin_nothing(world, ledger):
    assert _ids(world.bob) == _n(ledger, 2, 3, 5, 8)  # not the village under county A1
    assert _ids(world.carol) == _n(ledger, 6, 7)
    assert _ids(world.erin) == set()
    assert _ids(world.root) == _n(ledger, 1, 2, 3, 4, 5, 6, 7, 8)
    # A filter on a unit outside the scope cannot widen it.
    assert _ids(world.carol, unit=world.city_a) == set()


def test_capped_paginator_stops_counting(world, ledger, monkeypatch):
    monkeypatch.setattr(selectors.CappedPaginator, "cap", 5)
    page = selectors.ledger_page(world.alice, LedgerFilters(), 1, per_page=2)
    assert page.paginator.count == 5 and page.paginator.capped
    assert page.paginator.num_pages == 3
    page = selectors.ledger_page(world.alice, LedgerFilters(year=2025), 1, per_page=2)
    assert page.paginator.count == 1 and not page.paginator.capped


def test_text_search_is_paged_without_a_count(world, ledger, monkeypatch):
    search = LedgerFilters(q="不", year=2026)  # items 6, 5, 4, 3, 2, 1, newest first
    page = selectors.ledger_page(world.alice, search, 1, per_page=2)
    assert isinstance(page, selectors.UncountedPage) and not page.has_previous()
    assert [p.pk for p in page] == [ledger[6].pk, ledger[5].pk] and page.has_next()
    page = selectors.ledger_page(world.alice, search, 3, per_page=2)  # a full last page
    assert [p.pk for p in page] == [ledger[2].pk, ledger[1].pk] and not page.has_next()
    assert page.has_previous() and page.previous_page_number() == 2
    page = selectors.ledger_page(world.alice, LedgerFilters(q="不规范", year=2026), 1, per_page=3)
    assert len(page) == 2 and not page.has_next() and not page.has_other_pages()
    # No page starts past the cap: page 99 is the last one allowed, and it offers no next.
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    page = selectors.ledger_page(world.alice, search, 99, per_page=2)
    assert page.number == 2 and [p.pk for p in page] == [ledger[4].pk, ledger[3].pk]
    assert not page.has_next()
    # Without words the list is counted as before.
    counted = selectors.ledger_page(world.alice, LedgerFilters(q="  "), 1)
    assert not isinstance(counted, selectors.UncountedPage)


def _reports(world):
    round_ = Round.objects.create(host=world.province, year=2026, title="2026 年度述职评议")
    statuses = {world.city_a: "submitted", world.city_b: "accepted", world.county_a1: "returned"}
    for position, (unit, status) in enumerate(statuses.items()):
        reporter = RoundReporter.objects.create(round=round_, unit=unit, sort_order=position)
        Report.objects.create(reporter=reporter, title=f"{unit.name}述职报告", status=status)
    other = Round.objects.create(host=world.city_b, year=2025, title="2025 年度述职评议")
    reporter = RoundReporter.objects.create(round=other, unit=world.county_b1)
    Report.objects.create(reporter=reporter, title="旧报告", status="accepted")
    return round_


@pytest.mark.smoke
def test_summary_numbers_of_the_province(world, ledger):
    _reports(world)
    s = selectors.subtree_summary(world.alice, world.province, year=2026)
    assert (s.total, s.closed, s.overdue) == (7, 2, 1)
    assert s.rate == 28.6
    assert {src.code: n for src, n in s.by_source} == {
        "xunshi": 4,
        "xuncha": 1,
        "self": 1,
        "supervision": 1,
    }
    assert {v: n for v, _label, n in s.by_status} == {
        "open": 2,
        "in_progress": 1,
        "submitted": 1,
        "closed": 2,
        "long_term": 1,
    }
    assert {v: n for v, _label, n in s.by_severity} == {"general": 4, "major": 2, "serious": 1}
    children = {(r.unit.code, r.own): (r.total, r.closed, r.overdue) for r in s.by_child}
    assert children == {
        ("440100", False): (4, 1, 0),
        ("440300", False): (2, 1, 0),
        ("440000", True): (1, 0, 1),
    }
    assert s.by_child[0].unit == world.city_a  # largest first
    assert s.reports == {
        "draft": 0,
        "submitted": 1,
        "returned": 1,
        "accepted": 1,
        "total": 3,
    }


def test_summary_of_a_city_rolls_up_by_county(world, ledger):
    s = selectors.subtree_summary(world.alice, world.city_a, year=2026)
    assert (s.total, s.closed, s.overdue) == (4, 1, 0)
    rows = {r.unit.code: (r.total, r.own) for r in s.by_child}
    assert rows == {"440100": (1, True), "440103": (2, False), "440104": (1, False)}
    assert s.rate == 25.0
    empty = selectors.subtree_summary(world.alice, world.city_b, year=2024)
    assert empty.total == 0 and empty.rate is None and empty.by_child == []


def test_summary_respects_scope(world, ledger):
    _reports(world)
    s = selectors.subtree_summary(world.bob, world.city_a, year=2026)
    assert s.total == 3  # the village under county A1 is beyond bob's one level
    assert s.reports["total"] == 2  # city A and county A1
    s = selectors.subtree_summary(world.carol, world.province, year=2026)
    assert s.total == 2 and s.reports["total"] == 1
    assert [r.unit for r in s.by_child] == [world.city_b]


def test_summary_by_round(world, ledger):
    round_ = _reports(world)
    s = selectors.subtree_summary(world.alice, world.province, year=2026, round_id=round_.pk)
    assert s.reports["total"] == 3
    s = selectors.subtree_summary(world.alice, world.province, year=2026, round_id=round_.pk + 99)
    assert s.reports["total"] == 0


def test_rectification_rate():
    assert selectors.rectification_rate(0, 0) is None
    assert selectors.rectification_rate(1, 3) == 33.3
    assert selectors.rectification_rate(3, 3) == 100.0
