"""/api/problems/ answers GET (the ledger list) and POST (record a problem) from one router,
and the API description lists each operation of the problem mount exactly once."""

from __future__ import annotations

import collections
import inspect

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from shuzhi.rectification.models import Problem

pytestmark = pytest.mark.django_db
URL = "/api/problems/"


def _new(world) -> dict:
    return {
        "unit_id": world.county_a1.pk,
        "description": "支部会议记录不全",
        "source": "xuncha",
        "found_on": "2025-03-01",
        "year": 2025,
        "deadline": "2025-09-30",
    }


def test_get_and_post_on_the_same_path_both_work(client, world, media):
    client.force_login(world.dave)
    created = client.post(URL, _new(world), content_type="application/json")
    assert created.status_code == 201, created.content
    problem_id = created.json()["id"]
    listing = client.get(URL, {"year": 2025})
    assert listing.status_code == 200, listing.content
    body = listing.json()
    assert body["count"] == 1 and body["count_capped"] is False
    assert [row["id"] for row in body["items"]] == [problem_id]
    assert body["items"][0]["unit_code"] == world.county_a1.code
    # Another method is refused by the one view serving the path, naming both it serves.
    refused = client.put(URL, {}, content_type="application/json")
    assert refused.status_code == 405
    assert set(refused["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert Problem.objects.count() == 1


def test_both_methods_keep_their_permissions(client, world, media):
    assert client.get(URL).status_code == 401
    assert client.post(URL, _new(world), content_type="application/json").status_code == 401
    client.force_login(world.bob)  # may see the ledger, may not record in the county
    assert client.get(URL).status_code == 200
    assert client.post(URL, _new(world), content_type="application/json").status_code == 403
    assert not Problem.objects.exists()


def test_one_view_per_path_of_the_problem_mount():
    """Two views for one path mean the second is never reached (the 405 trap). ninja adds a
    pattern per operation, each wrapping its path's one ``PathView`` (the closure's ``self``)."""
    views: dict[str, set[int]] = collections.defaultdict(set)
    for resolver in get_resolver().url_patterns:
        if not isinstance(resolver, URLResolver) or str(resolver.pattern) != "api/":
            continue
        for pattern in resolver.url_patterns:
            route = str(pattern.pattern)
            if route.startswith("problems/"):
                assert isinstance(pattern, URLPattern), route
                path_view = inspect.getclosurevars(pattern.callback).nonlocals["self"]
                views[route].add(id(path_view))
    assert "problems/" in views and "problems/summary" in views
    assert {route: len(found) for route, found in views.items() if len(found) > 1} == {}


def test_the_api_description_lists_each_operation_once(client, world):
    client.force_login(world.alice)
    schema = client.get("/api/openapi.json").json()
    root = schema["paths"]["/api/problems/"]
    assert set(root) == {"get", "post"}
    assert root["get"]["operationId"] == "shuzhi_rectification_ledger_api_list_problems"
    assert root["post"]["operationId"] == "shuzhi_rectification_api_create_problem"
    paged = schema["components"]["schemas"]["PagedProblemRow"]
    assert {"items", "count", "count_capped"} <= set(paged["properties"])
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert [i for i, n in collections.Counter(ids).items() if n > 1] == []
