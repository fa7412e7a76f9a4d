"""Reports API: start, draft, submit refused then allowed, return and accept, versions,
compare, checks and Word; 404 outside scope, 403 without the right, 422 in Chinese."""

from __future__ import annotations

import io

import pytest
from docx import Document

from shuzhi.reports.reports.models import Report, ReportStatus

from .conftest import load_sample

J = "application/json"


@pytest.mark.smoke
def test_report_flow_through_the_api(client, world, reporter_a, last_year_problems):
    client.force_login(world.bob)
    response = client.post("/api/reports/", {"reporter_id": reporter_a.pk}, content_type=J)
    assert response.status_code == 201
    data = response.json()
    rid = data["id"]
    assert [c["serial"] for c in data["carried"]] == [1, 2] and data["can_write"]
    assert (
        client.post("/api/reports/", {"reporter_id": reporter_a.pk}, content_type=J).status_code
        == 200
    )
    response = client.post(f"/api/reports/{rid}/submit")
    assert response.status_code == 422
    assert "还有 2 项上年度问题" in response.json()["errors"]["carried"][0]
    carried = {
        str(c["problem"]): {"answer": "已整改到位。", "evidence": "验收报告"}
        for c in data["carried"]
    }
    response = client.put(
        f"/api/reports/{rid}/draft",
        {"sections": load_sample("good_report.txt"), "carried": carried},
        content_type=J,
    )
    assert response.status_code == 200
    checks = client.get(f"/api/reports/{rid}/checks").json()
    assert all(c["ok"] for c in checks)
    response = client.put(f"/api/reports/{rid}/draft", {"sections": {"x": "y"}}, content_type=J)
    assert (
        response.status_code == 422 and "未知的报告部分" in response.json()["errors"]["sections"][0]
    )
    assert client.post(f"/api/reports/{rid}/submit").json()["status"] == "submitted"
    assert client.post(f"/api/reports/{rid}/accept", {}, content_type=J).status_code == 403

    client.force_login(world.alice)
    response = client.post(f"/api/reports/{rid}/return", {"comment": ""}, content_type=J)
    assert response.status_code == 422 and "comment" in response.json()["errors"]
    response = client.post(f"/api/reports/{rid}/return", {"comment": "请精简。"}, content_type=J)
    assert response.json()["status"] == "returned"

    client.force_login(world.bob)
    client.put(
        f"/api/reports/{rid}/draft", {"sections": {"next_steps": "精简后的打算。"}}, content_type=J
    )
    assert client.post(f"/api/reports/{rid}/submit").json()["version"] == 2

    client.force_login(world.alice)
    assert client.post(f"/api/reports/{rid}/accept", {}, content_type=J).json()["status"] == (
        "accepted"
    )
    versions = client.get(f"/api/reports/{rid}/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    parts = client.get(f"/api/reports/{rid}/compare?a=1&b=2").json()
    changed = [p["title"] for p in parts if p["changed"]]
    assert changed == ["下步打算"]
    response = client.get(f"/api/reports/{rid}/word")
    assert Document(io.BytesIO(response.content)).paragraphs[0].text == data["title"]
    listing = client.get("/api/reports/?status=accepted").json()
    assert listing["count"] == 1 and listing["items"][0]["unit_name"] == "广州市委"


def test_api_scope_and_rights(client, world, reporter_a, reporter_b):
    client.force_login(world.bob)
    rid = client.post("/api/reports/", {"reporter_id": reporter_a.pk}, content_type=J).json()["id"]
    assert (
        client.post("/api/reports/", {"reporter_id": reporter_b.pk}, content_type=J).status_code
        == 404
    )
    for name, get_status, put_status in [
        ("carol", 404, 404),
        ("erin", 404, 404),
        ("alice", 404, 404),  # the host's organiser: a draft stays with its writer
    ]:
        client.force_login(getattr(world, name))
        assert client.get(f"/api/reports/{rid}").status_code == get_status
        response = client.put(f"/api/reports/{rid}/draft", {"title": "改"}, content_type=J)
        assert response.status_code == put_status
    assert Report.objects.get().status == ReportStatus.DRAFT
    assert Report.objects.get().title != "改"
    Report.objects.update(status=ReportStatus.SUBMITTED)
    client.force_login(world.alice)  # submitted: the host's organiser reads, does not write
    assert client.get(f"/api/reports/{rid}").status_code == 200
    response = client.put(f"/api/reports/{rid}/draft", {"title": "改"}, content_type=J)
    assert response.status_code == 403
    Report.objects.update(status=ReportStatus.DRAFT)
    client.force_login(world.alice)  # sees the reporter, does not write its report
    assert (
        client.post("/api/reports/", {"reporter_id": reporter_b.pk}, content_type=J).status_code
        == 403
    )
    client.force_login(world.carol)
    assert client.get("/api/reports/").json()["count"] == 0
    client.logout()
    assert client.get("/api/reports/").status_code == 401
