"""Problem API: scope (404/403), create/patch/move/notes/evidence/history, sources and
carry-over, with Chinese 422 messages; the ledger list still answers GET on the same path."""

from __future__ import annotations

import pytest

from shuzhi.core.models import AuditEntry
from shuzhi.core.tests.samples import pdf_bytes, upload
from shuzhi.rectification.models import Problem, ProblemStatus

pytestmark = pytest.mark.django_db
S = ProblemStatus
BASE = "/api/problems"


def _json(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def _new(world):
    return {
        "unit_id": world.county_a1.pk,
        "description": "会议记录不全",
        "source": "xuncha",
        "found_on": "2025-03-01",
        "year": 2025,
        "responsible_person_name": "孙责任",
        "deadline": "2025-09-30",
    }


def test_create_and_read(client, world, media):
    client.force_login(world.bob)
    assert _json(client, "post", f"{BASE}/", _new(world)).status_code == 403
    client.force_login(world.carol)
    assert _json(client, "post", f"{BASE}/", _new(world)).status_code == 404
    client.force_login(world.dave)
    bad = _json(client, "post", f"{BASE}/", {**_new(world), "source": "nope"})
    assert bad.status_code == 422
    assert bad.json()["errors"]["source"] == ["未知的问题来源“nope”。"]
    response = _json(client, "post", f"{BASE}/", _new(world))
    assert response.status_code == 201
    body = response.json()
    assert (body["serial"], body["status"], body["status_label"]) == (1, "open", "待整改")
    assert body["source"]["code"] == "xuncha" and body["unit"]["code"] == world.county_a1.code
    assert client.get(f"{BASE}/{body['id']}").json()["id"] == body["id"]
    client.force_login(world.carol)
    assert client.get(f"{BASE}/{body['id']}").status_code == 404
    # The ledger list answers GET on the same path.
    client.force_login(world.alice)
    listing = client.get(f"{BASE}/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1


def test_patch_move_notes_evidence_history(client, world, problem, media):
    url = f"{BASE}/{problem.pk}"
    client.force_login(world.bob)
    assert _json(client, "patch", url, {"measures": "新措施"}).json()["measures"] == "新措施"
    assert _json(client, "patch", url, {"description": "改"}).status_code == 403
    moved = _json(client, "post", f"{url}/transition", {"to_status": S.IN_PROGRESS})
    assert moved.json()["status"] == S.IN_PROGRESS
    illegal = _json(client, "post", f"{url}/transition", {"to_status": S.CLOSED})
    assert illegal.status_code == 422
    assert "不能变更为“已销号”" in illegal.json()["errors"]["to_status"][0]
    note = _json(client, "post", f"{url}/notes", {"on": "2025-04-01", "text": "推进中"})
    assert note.status_code == 201
    assert client.get(f"{url}/notes").json()[0]["text"] == "推进中"
    bad_file = client.post(f"{url}/evidence", {"file": upload("x.pdf", b"<html>")})
    assert bad_file.status_code == 422 and "不符" in bad_file.json()["errors"]["file"][0]
    good = client.post(f"{url}/evidence", {"file": upload("报告.pdf", pdf_bytes()), "note": "说明"})
    assert good.status_code == 201 and good.json()["name"] == "报告.pdf"
    _json(client, "post", f"{url}/transition", {"to_status": S.SUBMITTED})
    assert _json(client, "post", f"{url}/transition", {"to_status": S.CLOSED}).status_code == 403
    client.force_login(world.dave)
    closed = _json(
        client, "post", f"{url}/transition", {"to_status": S.CLOSED, "verdict": "整改到位"}
    )
    assert closed.status_code == 200
    assert closed.json()["verifier_id"] == world.dave.pk
    history = client.get(f"{url}/history").json()
    assert [h["to_status"] for h in history] == ["open", "in_progress", "submitted", "closed"]
    assert history[-1]["reason"] == "整改到位"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"problem.update", "problem.transition", "problem.note", "problem.evidence"} <= actions


def test_sources_are_read_by_the_same_accounts_as_the_page(client, world):
    """An account without any grant is refused the list, by the API as by the page."""
    client.force_login(world.erin)
    assert client.get(f"{BASE}/sources").status_code == 403
    assert client.get("/problems/sources/").status_code == 403
    client.force_login(world.carol)  # a viewer anywhere reads the installation's list
    assert client.get(f"{BASE}/sources").status_code == 200
    assert client.get("/problems/sources/").status_code == 200


def test_sources_and_carry_over(client, world, problem):
    client.force_login(world.bob)
    assert (
        len(client.get(f"{BASE}/sources").json()) == 12
    )  # the ten of DOMAIN.md §3, 考核结果运用 and 领导调研走访 (field)
    assert _json(client, "post", f"{BASE}/sources", {"name": "审计"}).status_code == 403
    client.force_login(world.root)
    assert _json(client, "post", f"{BASE}/sources", {"name": "审计"}).status_code == 201
    client.force_login(world.dave)
    payload = {"from_year": 2025, "root_id": world.county_a1.pk}
    assert _json(client, "post", f"{BASE}/carry-over", payload).status_code == 403
    client.force_login(world.alice)
    first = _json(client, "post", f"{BASE}/carry-over", payload)
    assert first.json() == {"from_year": 2025, "to_year": 2026, "carried": 1}
    assert _json(client, "post", f"{BASE}/carry-over", payload).json()["carried"] == 0
    carried = Problem.objects.get(year=2026)
    assert client.get(f"{BASE}/{problem.pk}").json()["carried_to_id"] == carried.pk
    assert client.get(f"{BASE}/{carried.pk}").json()["carried_from_id"] == problem.pk
