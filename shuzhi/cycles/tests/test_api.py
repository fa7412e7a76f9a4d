"""Rounds and meetings API: scoped lists, 404 outside scope, 403 visible-but-not-allowed,
422 with Chinese field messages, and the whole round → session → draw → roster → quorum flow."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhi.core import clock
from shuzhi.cycles.models import Round

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.mark.smoke
def test_round_and_meeting_flow(client, world, secretaries):
    client.force_login(world.alice)
    response = client.post("/api/rounds/", {"host_code": "440000", "year": 2026}, content_type=J)
    assert response.status_code == 201
    round_id = response.json()["id"]
    response = client.post(
        f"/api/rounds/{round_id}/reporters/from-type", {"type_code": "city"}, content_type=J
    )
    assert response.status_code == 201 and len(response.json()) == 2
    response = client.patch(
        f"/api/rounds/{round_id}",
        {"categories": [{"code": "a", "label": "甲", "weight": "0.5"}]},
        content_type=J,
    )
    assert response.status_code == 422
    assert "权重之和" in response.json()["errors"]["categories"][0]
    # Planned for another day than today (the start below must ask to confirm the date).
    planned = "2026-12-20" if clock.today() != datetime.date(2026, 12, 20) else "2026-12-21"
    payload = {"round_id": round_id, "title": "述职评议会", "date": planned, "place": "礼堂"}
    response = client.post("/api/meetings/", payload, content_type=J)
    assert response.status_code == 201
    session_id = response.json()["id"]
    response = client.post(f"/api/meetings/{session_id}/reporters", {}, content_type=J)
    assert response.status_code == 201 and len(response.json()) == 2
    response = client.post(
        f"/api/meetings/{session_id}/draw", {"method": "random", "live_count": 1}, content_type=J
    )
    assert response.status_code == 200 and len(response.json()) == 1
    check = client.get(f"/api/meetings/{session_id}/draw/check").json()
    assert check["matches"] and check["replayable"]
    categories = client.post(f"/api/meetings/{session_id}/roster").json()
    assert len(categories) == 5
    cat = categories[0]["id"]
    response = client.patch(
        f"/api/meetings/{session_id}/roster/{cat}", {"expected": 4, "present": 2}, content_type=J
    )
    assert response.status_code == 200
    assert client.get(f"/api/meetings/{session_id}/quorum").json() == {
        "met": False,
        "expected": 4,
        "present": 2,
        "needed": 3,
    }
    member = client.post(
        f"/api/meetings/{session_id}/roster/{categories[1]['id']}/members",
        {"name": "张三"},
        content_type=J,
    ).json()
    response = client.post(
        f"/api/meetings/{session_id}/members/{member['id']}/sign-in", {}, content_type=J
    )
    assert response.json()["signed_in"] is True
    assert client.get(f"/api/meetings/{session_id}/quorum").json()["met"] is True
    response = client.post(
        f"/api/meetings/{session_id}/status", {"status": "closed"}, content_type=J
    )
    assert response.status_code == 422
    assert "不能从“未开始”改为“已结束”" in response.json()["errors"]["status"][0]
    # Planned for another day: starting it today needs the date confirmed.
    response = client.post(
        f"/api/meetings/{session_id}/status", {"status": "in_progress"}, content_type=J
    )
    assert f"计划于 {planned} 召开" in response.json()["errors"]["date"][0]
    response = client.post(
        f"/api/meetings/{session_id}/status",
        {"status": "in_progress", "confirm_date": True},
        content_type=J,
    )
    assert response.json()["status"] == "in_progress"
    detail = client.get(f"/api/rounds/{round_id}").json()
    assert [s["id"] for s in detail["sessions"]] == [session_id]
    assert {r["person"]["name"] for r in detail["reporters"]} == {"乙书记", "丙书记"}


def test_scoping_404_and_403(client, world, province_round):
    from shuzhi.meetings import services as ms

    session = ms.create_session(
        actor=world.alice, round=province_round, title="会", date=datetime.date(2026, 12, 20)
    )
    city_round = Round.objects.create(host=world.city_b, year=2026, title="深圳")
    for persona in (world.bob, world.carol, world.erin):
        client.force_login(persona)
        assert client.get(f"/api/rounds/{province_round.pk}").status_code == 404
        assert client.get(f"/api/meetings/{session.pk}").status_code == 404
    client.force_login(world.carol)
    assert [r["id"] for r in client.get("/api/rounds/").json()["items"]] == [city_round.pk]
    response = client.patch(f"/api/rounds/{city_round.pk}", {"title": "改"}, content_type=J)
    assert response.status_code == 403
    response = client.post(
        "/api/meetings/",
        {"round_id": city_round.pk, "title": "会", "date": "2026-12-01"},
        content_type=J,
    )
    assert response.status_code == 403
    response = client.post("/api/rounds/", {"host_code": "440300", "year": 2027}, content_type=J)
    assert response.status_code == 403
    client.logout()
    assert client.get("/api/rounds/").status_code == 401


def test_reporters_import_and_person_api(client, world, province_round, secretaries):
    client.force_login(world.alice)
    url = f"/api/rounds/{province_round.pk}/reporters/import"
    bad = SimpleUploadedFile("r.csv", b"code\n440103\n440103\nzzz\n")
    response = client.post(url, {"file": bad})
    assert response.status_code == 422
    assert [e["row"] for e in response.json()["errors"]] == [3, 4]
    good = SimpleUploadedFile("r.csv", b"code\n440103\n")
    assert client.post(url, {"file": good}).status_code == 200
    reporter = province_round.reporters.get(unit=world.county_a1)
    response = client.patch(
        f"/api/rounds/{province_round.pk}/reporters/{reporter.pk}",
        {"person_id": secretaries["甲书记"].pk},
        content_type=J,
    )
    assert response.json()["person"]["name"] == "甲书记"
    response = client.patch(
        f"/api/rounds/{province_round.pk}/reporters/{reporter.pk}",
        {"person_id": 999999},
        content_type=J,
    )
    assert response.status_code == 422
    response = client.delete(f"/api/rounds/{province_round.pk}/reporters/{reporter.pk}")
    assert response.status_code == 204
    response = client.post(
        f"/api/rounds/{province_round.pk}/reporters", {"codes": ["440000"]}, content_type=J
    )
    assert response.status_code == 422 and "主办组织本身" in response.json()["errors"]["codes"][0]
