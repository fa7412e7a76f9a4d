"""Assessment API: scoped lists, 404 outside scope, 403 visible-but-not-allowed, 422 with
Chinese field messages, and the whole define → derive → refuse → publish → score flow."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.assessment.indicators.models import IndicatorItem
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.mark.smoke
def test_define_derive_refuse_publish_and_score(client, world):
    client.force_login(world.alice)
    response = client.post(
        "/api/assessment/sets",
        {"host_code": "440000", "year": 2026, "assessed_type": "county"},
        content_type=J,
    )
    assert response.status_code == 201
    set_id = response.json()["id"]
    for code, name in [("A1", "基层党组织建设质量"), ("A2", "党员队伍建设成效")]:
        response = client.post(
            f"/api/assessment/sets/{set_id}/items",
            {"code": code, "name": name, "max_points": "20"},
            content_type=J,
        )
        assert response.status_code == 201
    refused = client.post(
        f"/api/assessment/sets/{set_id}/items",
        {"code": "A3", "name": "微信公众号文章阅读量和点赞数", "max_points": "5"},
        content_type=J,
    )
    assert refused.status_code == 422
    assert "不予采用" in refused.json()["errors"]["name"][0]
    preview = client.post(
        f"/api/assessment/sets/{set_id}/check-item", {"name": "会议记录齐全"}, content_type=J
    ).json()
    assert preview[0]["severity"] == "error" and "2024" in preview[0]["rule"]
    response = client.patch(
        f"/api/assessment/sets/{set_id}", {"status": "published"}, content_type=J
    )
    assert response.status_code == 200 and response.json()["status"] == "published"
    a1 = IndicatorItem.objects.get(set_id=set_id, code="A1")
    response = client.post(
        f"/api/assessment/sets/{set_id}/derive",
        {"host_code": "440100", "keep": {str(a1.pk): "10"}},
        content_type=J,
    )
    assert response.status_code == 201
    child = response.json()
    assert [i["max_points"] for i in child["items"]] == ["10.00"]
    added = client.post(
        f"/api/assessment/sets/{child['id']}/items",
        {"code": "B1", "name": "城市社区治理成效", "max_points": "5"},
        content_type=J,
    )
    assert added.status_code == 201
    findings = client.get(f"/api/assessment/sets/{child['id']}/governance").json()
    assert any(f["code"] == "escalation" and f["severity"] == "error" for f in findings)
    response = client.patch(
        f"/api/assessment/sets/{child['id']}", {"status": "published"}, content_type=J
    )
    assert response.status_code == 422 and "层层加码" in response.json()["errors"]["__all__"][0]

    unit = world.county_a1.pk
    response = client.put(
        f"/api/assessment/sets/{set_id}/units/{unit}/host",
        {"entries": [{"item_id": a1.pk, "points": "18", "note": "较好"}]},
        content_type=J,
    )
    assert response.status_code == 200 and response.json()["total"] == "18.00"
    adj = client.post(
        f"/api/assessment/sets/{set_id}/units/{unit}/adjustments",
        {"kind": "bonus", "points": "2", "reason": "创建全国示范点"},
        content_type=J,
    ).json()
    own = client.post(
        f"/api/assessment/adjustments/{adj['id']}/decide", {"approve": True}, content_type=J
    )
    assert own.status_code == 422 and "提出人以外" in own.json()["errors"]["approver"][0]
    client.force_login(make_user("ivy", (Role.ORGANISER, world.province)))
    assert (
        client.post(
            f"/api/assessment/adjustments/{adj['id']}/decide", {"approve": True}, content_type=J
        ).json()["status"]
        == "approved"
    )
    grid = client.get(f"/api/assessment/sets/{set_id}/grid").json()
    assert grid["count"] == 3
    row = next(r for r in grid["rows"] if r["unit"]["id"] == unit)
    assert row["total"] == "20.00"


def test_scope_and_refusals(client, world, province_set):
    url = f"/api/assessment/sets/{province_set.pk}"
    assert client.get(url).status_code == 401
    client.force_login(world.carol)
    assert client.get(url).status_code == 404
    assert client.get("/api/assessment/sets").json()["count"] == 0
    viewer = make_user("vic", (Role.VIEWER, world.province))
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.patch(url, {"title": "x"}, content_type=J).status_code == 403
    item = province_set.items.first()
    assert client.delete(f"/api/assessment/items/{item.pk}").status_code == 403
    sec = make_user("hank", (Role.SECRETARY, world.county_a1))
    client.force_login(sec)
    sheet = f"{url}/units/{world.county_a1.pk}"
    assert client.get(sheet).status_code == 200
    response = client.put(
        f"{sheet}/self",
        {"entries": [{"item_id": item.pk, "points": "99"}]},
        content_type=J,
    )
    assert response.status_code == 422
    assert client.put(f"{sheet}/host", {"entries": []}, content_type=J).status_code == 403
    assert client.get(f"{url}/units/{world.county_a2.pk}").status_code == 404


def test_governance_policy_set_from_above(client, world):
    client.force_login(world.alice)
    response = client.get("/api/assessment/policy/440100")
    assert response.status_code == 200
    body = response.json()
    assert body["effective"]["too_many"]["max_items_by_depth"]["2"] == 25
    assert "越往下越简化" in body["explanations"]["too_many"]["explain"]
    bad = client.put(
        "/api/assessment/policy/440100",
        {"data": {"overlap": {"min_similarity": 5}}},
        content_type=J,
    )
    assert bad.status_code == 422 and "相似度" in bad.json()["errors"]["overlap"][0]
    response = client.put(
        "/api/assessment/policy/440100",
        {"data": {"too_many": {"max_items_by_depth": {"3": 12}}}},
        content_type=J,
    )
    assert response.status_code == 200
    county = client.get("/api/assessment/policy/440103").json()
    assert county["effective"]["too_many"]["max_items_by_depth"]["3"] == 12
    assert county["override"] == {}
    # alice has no one above the province: she may not relax her own limits.
    assert (
        client.put("/api/assessment/policy/440000", {"data": {}}, content_type=J).status_code == 403
    )
    client.force_login(world.carol)
    assert client.get("/api/assessment/policy/440100").status_code == 404
