"""Critiques and plans API: the whole flow over HTTP, 404 outside scope, 403 in sight without
the right, 422 with Chinese messages per field, and a pinned query count on the list."""

from __future__ import annotations

import pytest

from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.reports.critiques.models import Critique

from .test_critique_world import *  # noqa: F403 - the fixtures
from .test_critique_world import CONCRETE, PRAISE_ONLY, PROBLEMS

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.mark.smoke
def test_critique_and_plan_flow(client, world, reporter, sam, today):
    client.force_login(world.bob)
    payload = {"reporter_id": reporter.pk, "text": CONCRETE, "problems": PROBLEMS}
    response = client.post("/api/reports/critiques", payload, content_type=J)
    assert response.status_code == 201, response.json()
    body = response.json()
    # A draft keeps its problems to itself: nothing in the ledger before publication.
    assert body["problems"] == [] and not Problem.objects.exists()
    assert [p["description"] for p in body["draft_problems"]] == [
        p["description"] for p in PROBLEMS
    ]
    assert body["flagged"] is False and body["published"] is False
    critique_id = body["id"]
    response = client.post(f"/api/reports/critiques/{critique_id}/publish")
    assert response.status_code == 200 and response.json()["published"] is True
    body = response.json()
    assert [p["source"] for p in body["problems"]] == ["critique", "critique"]
    assert {p["unit_id"] for p in body["problems"]} == {world.county_a1.pk}
    assert body["draft_problems"] == []
    first = body["problems"][0]
    update = {
        "text": CONCRETE,
        "problems": [
            {"id": first["id"], "description": first["description"], "severity": "major"},
            {"description": "党员教育培训覆盖率偏低", "deadline": "2027-05-31"},
        ],
    }
    response = client.put(f"/api/reports/critiques/{critique_id}", update, content_type=J)
    assert response.status_code == 200
    assert [p["description"] for p in response.json()["problems"]][1] == "党员教育培训覆盖率偏低"

    client.force_login(sam)
    assert client.get(f"/api/reports/critiques/{critique_id}").status_code == 200
    assert client.get(f"/api/reports/plans/{reporter.pk}").status_code == 404
    response = client.post(f"/api/reports/plans/{reporter.pk}", {}, content_type=J)
    assert response.status_code == 201
    plan = response.json()
    assert [i["problem"] for i in plan["items"]] == plan["named_problems"]
    assert plan["open_issues"]
    items = [
        {
            **item,
            "measures": "限期整改",
            "deadline": "2027-06-30",
            "responsible_person_name": "钱部长",
        }
        for item in plan["items"]
    ]
    response = client.patch(f"/api/reports/plans/{reporter.pk}", {"items": items}, content_type=J)
    assert response.status_code == 200 and response.json()["open_issues"] == []
    response = client.post(f"/api/reports/plans/{reporter.pk}/submit")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert client.post(f"/api/reports/plans/{reporter.pk}/approve").status_code == 403

    client.force_login(world.bob)
    response = client.post(
        f"/api/reports/plans/{reporter.pk}/return", {"comment": ""}, content_type=J
    )
    assert response.status_code == 422
    assert response.json()["errors"]["comment"] == ["退回时请写明修改意见。"]
    response = client.post(f"/api/reports/plans/{reporter.pk}/approve")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert set(Problem.objects.values_list("status", flat=True)) == {ProblemStatus.IN_PROGRESS}


def test_check_flags_praise_only(client, world, reporter):
    client.force_login(world.bob)
    response = client.post(
        "/api/reports/critiques/check",
        {"text": PRAISE_ONLY, "round_id": reporter.round_id},
        content_type=J,
    )
    assert response.status_code == 200
    assert {c["code"]: c["ok"] for c in response.json()} == {
        "named_problems": False,
        "concrete_problem": False,
    }
    response = client.post(
        "/api/reports/critiques/check", {"text": CONCRETE, "problems": PROBLEMS}, content_type=J
    )
    assert all(c["ok"] for c in response.json())


def test_refusals(client, world, reporter, sam, today):
    payload = {"reporter_id": reporter.pk, "text": CONCRETE, "problems": PROBLEMS}
    client.force_login(sam)
    assert client.post("/api/reports/critiques", payload, content_type=J).status_code == 403
    client.force_login(world.erin)
    assert client.post("/api/reports/critiques", payload, content_type=J).status_code == 404
    client.force_login(world.bob)
    bad = {**payload, "text": "", "problems": [{"description": "甲", "severity": "huge"}]}
    response = client.post("/api/reports/critiques", bad, content_type=J)
    assert response.status_code == 422
    assert response.json()["errors"]["text"] == ["点评意见不能为空。"]
    assert not Critique.objects.exists()
    critique_id = client.post("/api/reports/critiques", payload, content_type=J).json()["id"]
    for user, status in ((sam, 404), (world.carol, 404), (world.erin, 404)):
        client.force_login(user)
        assert client.get(f"/api/reports/critiques/{critique_id}").status_code == status
    client.force_login(world.dave)
    assert client.get("/api/reports/critiques").json()["count"] == 0  # drafts are the host's
    client.logout()
    assert client.get("/api/reports/critiques").status_code == 401


def test_list_is_scoped_and_pins_queries(
    client, world, reporter, lena, today, django_assert_num_queries
):
    client.force_login(world.bob)
    for _ in range(3):
        payload = {"reporter_id": reporter.pk, "text": CONCRETE, "problems": PROBLEMS}
        made = client.post("/api/reports/critiques", payload, content_type=J).json()
        client.post(f"/api/reports/critiques/{made['id']}/publish")
    client.get("/api/reports/critiques")
    # session, user, grants, count, page, problems of the page (+ their sources)
    with django_assert_num_queries(6):
        response = client.get(f"/api/reports/critiques?round_id={reporter.round_id}")
    assert response.json()["count"] == 3
    assert all(len(c["problems"]) == 2 for c in response.json()["items"])
    client.force_login(lena)
    assert client.get("/api/reports/critiques").json()["count"] == 3
    client.force_login(world.carol)
    assert client.get("/api/reports/critiques").json()["count"] == 0
