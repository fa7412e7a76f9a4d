"""结果运用 API: scoped lists, 404 outside scope, 403 without the right, 422 in Chinese."""

from __future__ import annotations

import io

import pytest
from docx import Document

from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.results.models import FollowUp, FollowUpStatus

from . import results_testing

pytestmark = pytest.mark.urls("shuzhi.assessment.tests.results_urlconf")
BASE = "/api/assessment/results"


@pytest.fixture
def rw(world):
    made = results_testing.build(world)
    results.on_grades_confirmed(actor=world.alice, grading=made.grading, rows=made.rows.values())
    return made


@pytest.mark.django_db
def test_anonymous_gets_401(client, rw):
    assert client.get(f"{BASE}/follow-ups").status_code == 401


@pytest.mark.smoke
@pytest.mark.django_db
def test_follow_ups_list_is_scoped_and_pinned(client, world, rw, django_assert_num_queries):
    client.force_login(world.alice)
    with django_assert_num_queries(5):
        response = client.get(f"{BASE}/follow-ups")
    data = response.json()
    assert data["count"] == 4
    talk = next(i for i in data["items"] if i["unit_code"] == "440303" and i["kind"] == "talk")
    assert talk["conductor"] == "孙省委书记" and talk["with_person"] == "郑罗湖"
    assert client.get(f"{BASE}/follow-ups", {"kind": "talk"}).json()["count"] == 2
    client.force_login(world.carol)
    assert client.get(f"{BASE}/follow-ups").json()["count"] == 0
    assert client.get(f"{BASE}/follow-ups/{talk['id']}").status_code == 404
    client.force_login(world.erin)
    assert client.get(f"{BASE}/follow-ups").status_code == 403


@pytest.mark.django_db
def test_done_through_the_api(client, world, rw):
    talk = FollowUp.objects.get(reporter__unit__code="440303", kind="talk")
    client.force_login(rw.sam)
    url = f"{BASE}/follow-ups/{talk.pk}/done"
    response = client.post(url, {"notes": ""}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]["notes"] == ["请填写约谈情况。"]
    response = client.post(
        f"{BASE}/follow-ups/{talk.pk}/cancel", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    response = client.post(url, {"notes": "已约谈"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == FollowUpStatus.DONE


@pytest.mark.django_db
def test_rules_through_the_api(client, world, rw):
    client.force_login(world.alice)
    rules = client.get(f"{BASE}/rules/{world.province.pk}").json()
    assert [r["grade"] for r in rules] == ["good", "fair_good", "average", "poor"]
    url = f"{BASE}/rules/{world.province.pk}/poor"
    response = client.put(url, {"rectify_within_days": 0}, content_type="application/json")
    assert response.status_code == 422 and "rectify_within_days" in response.json()["errors"]
    response = client.put(url, {"rectify_within_days": 60}, content_type="application/json")
    assert response.json()["rectify_within_days"] == 60
    client.force_login(rw.sam)
    assert client.put(url, {"talk": False}, content_type="application/json").status_code == 403
    client.force_login(world.erin)
    assert client.get(f"{BASE}/rules/{world.province.pk}").status_code == 404


@pytest.mark.smoke
@pytest.mark.django_db
def test_circular_through_the_api(client, world, rw):
    client.force_login(world.alice)
    response = client.post(f"{BASE}/rounds/{rw.round.pk}/circulars")
    assert response.status_code == 201
    circular = response.json()
    url = f"{BASE}/circulars/{circular['id']}"
    assert client.post(f"{url}/issue").status_code == 422
    response = client.patch(
        url,
        {
            "doc_number": "粤组通〔2027〕2号",
            "scope_unit_codes": ["440100"],
            "sections": {"intro": "导语"},
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["scope_units"] == ["440100"]
    response = client.patch(url, {"scope_unit_codes": ["nope"]}, content_type="application/json")
    assert response.status_code == 422
    assert client.post(f"{url}/issue").json()["status"] == "issued"
    assert client.patch(url, {"title": "x"}, content_type="application/json").status_code == 422
    doc = Document(io.BytesIO(client.get(f"{url}/docx").content))
    assert "导语" in [p.text for p in doc.paragraphs]
    client.force_login(rw.sam)
    assert client.get(url).status_code == 200
    assert client.post(f"{BASE}/rounds/{rw.round.pk}/circulars").status_code == 403
    client.force_login(world.carol)
    assert client.get(url).status_code == 404
    response = client.get(f"{BASE}/rounds/{rw.round.pk}/grades.xlsx")
    assert response.status_code == 404
