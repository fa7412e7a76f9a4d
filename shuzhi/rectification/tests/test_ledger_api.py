"""GET /api/problems/ and /api/problems/summary: the ledger's reads through the API."""

from __future__ import annotations

import pytest

from shuzhi.rectification import selectors

from .ledger_data import build_ledger, freeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world, monkeypatch):
    freeze(monkeypatch)
    return build_ledger(world)


def _get(client, user, url, params=None, status=200):
    if user is not None:
        client.force_login(user)
    response = client.get(url, params or {})
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response.json()


@pytest.mark.smoke
def test_list_with_filters_and_capped_count(client, world, ledger):
    data = _get(client, world.alice, "/api/problems/", {"year": 2026, "source": "xunshi"})
    assert data["count"] == 4 and data["count_capped"] is False
    first = data["items"][0]
    assert first["id"] == ledger[7].pk and first["unit_code"] == "440303"
    assert first["source_name"] == "巡视" and first["status"] == "long_term"
    data = _get(client, world.alice, "/api/problems/", {"overdue": "true"})
    assert [i["id"] for i in data["items"]] == [ledger[1].pk] and data["items"][0]["overdue"]
    data = _get(client, world.alice, "/api/problems/", {"q": "不规范", "unit": "440100"})
    assert [i["id"] for i in data["items"]] == [ledger[5].pk]
    data = _get(client, world.alice, "/api/problems/", {"responsible": "张", "limit": 1})
    assert data["count"] == 2 and len(data["items"]) == 1 and data["next"] is True
    data = _get(client, world.alice, "/api/problems/", {"responsible": "张", "offset": 1})
    assert len(data["items"]) == 1 and data["next"] is False


def test_list_search_is_not_counted(client, world, ledger):
    params = {"q": "不", "year": 2026, "limit": 2}  # items 6, 5, 4, 3, 2, 1 match
    data = _get(client, world.alice, "/api/problems/", params)
    assert data["count"] is None and data["count_capped"] is False and data["next"] is True
    assert [i["id"] for i in data["items"]] == [ledger[6].pk, ledger[5].pk]
    data = _get(client, world.alice, "/api/problems/", {**params, "offset": 4})
    assert [i["id"] for i in data["items"]] == [ledger[2].pk, ledger[1].pk]
    assert data["next"] is False


def test_list_cap(client, world, ledger, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    data = _get(client, world.alice, "/api/problems/", {"limit": 2, "offset": 2})
    assert data["count"] == 3 and data["count_capped"] is True and len(data["items"]) == 2


def test_list_scope(client, world, ledger):
    ids = {i["id"] for i in _get(client, world.bob, "/api/problems/")["items"]}
    assert ids == {ledger[n].pk for n in (2, 3, 5, 8)}
    assert _get(client, world.erin, "/api/problems/")["count"] == 0
    _get(client, world.carol, "/api/problems/", {"unit": "440100"}, status=404)
    client.logout()
    _get(client, None, "/api/problems/", status=401)


def test_list_query_count_is_pinned(client, world, ledger, django_assert_num_queries):
    client.force_login(world.alice)
    # session, user, grants, count, ids, rows
    with django_assert_num_queries(6):
        client.get("/api/problems/", {"year": 2026})
    # A text search is not counted: session, user, grants, ids, rows.
    with django_assert_num_queries(5):
        client.get("/api/problems/", {"q": "不", "year": 2026})


@pytest.mark.smoke
def test_summary(client, world, ledger):
    data = _get(client, world.alice, "/api/problems/summary", {"unit": "440000", "year": 2026})
    assert (data["total"], data["closed"], data["overdue"], data["rate"]) == (7, 2, 1, 28.6)
    assert "已销号" in data["rate_definition"]
    assert {r["code"]: r["count"] for r in data["by_source"]}["xunshi"] == 4
    assert {r["code"]: r["count"] for r in data["by_status"]}["open"] == 2
    assert data["by_child"][0]["unit_code"] == "440100" and data["by_child"][0]["total"] == 4
    assert data["reports"]["total"] == 0
    data = _get(client, world.bob, "/api/problems/summary", {"year": 2026})
    assert data["unit_code"] == "440100" and data["total"] == 3


def test_summary_scope(client, world, ledger):
    _get(client, world.carol, "/api/problems/summary", {"unit": "440100"}, status=404)
    _get(client, world.erin, "/api/problems/summary", status=404)
    _get(client, world.alice, "/api/problems/summary", {"unit": "nope"}, status=404)
