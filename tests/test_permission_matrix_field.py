"""Permission matrix rows for contact points and visits, on the pages and the API.

Personas of ``shuzhi.core.testing.build_world`` plus sun (孙立, secretary of county A1 with his
account linked to his person). Conventions of ``tests/test_permission_matrix.py``: ``ok``,
``forbidden`` (403), ``hidden`` (404), and — for a write the service refuses on its input —
``refused`` (422 on the API, the form shown again with the message on a page). Every row
checks the database changed only when the action succeeded.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from shuzhi.accounts.tokens import issue_token
from shuzhi.core import clock
from shuzhi.field import services
from shuzhi.field.models import ContactPoint, Visit, VisitPurpose
from shuzhi.field.tests.fixtures import build_field_world
from shuzhi.rectification.models import Problem

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, HIDDEN, REFUSED = "ok", "forbidden", "hidden", "refused"


@pytest.fixture
def fw():
    return build_field_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _bearer(user) -> dict[str, str]:
    _token, raw = issue_token(actor=user, name="matrix", access="write")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _yesterday() -> str:
    return (clock.today() - datetime.timedelta(days=1)).isoformat()


# Pages: persona × page → expected outcome.
PAGE_ROWS = [
    ("sun", "overview", OK),  # field.view over his grant
    ("alice", "overview", OK),
    ("carol", "overview", OK),
    ("erin", "overview", FORBIDDEN),
    ("sun", "own_year", OK),
    ("alice", "sun_year", OK),  # the department sees the leader's year
    ("carol", "sun_year", HIDDEN),  # city B's viewer does not see county A1's leader
    ("erin", "sun_year", HIDDEN),
    ("sun", "visit_form", OK),
    ("alice", "visit_form", FORBIDDEN),  # no person: cannot record for herself
    ("erin", "visit_form", FORBIDDEN),
    ("sun", "point_form", OK),
    ("dave", "point_form", FORBIDDEN),
]


@pytest.mark.parametrize(("persona", "page", "expected"), PAGE_ROWS)
def test_page_matrix(fw, persona, page, expected):
    user = getattr(fw.world, persona, None) or fw.sun
    url = {
        "overview": "/field/",
        "own_year": f"/field/leaders/{fw.leader.pk}/{clock.today().year}/",
        "sun_year": f"/field/leaders/{fw.leader.pk}/{clock.today().year}/",
        "visit_form": "/field/visits/new/",
        "point_form": "/field/points/new/",
    }[page]
    response = _client(user).get(url)
    assert response.status_code == {OK: 200, FORBIDDEN: 403, HIDDEN: 404}[expected]


# API writes: persona × (unit, date) → expected; the leader is sun unless the persona is one.
VISIT_ROWS = [
    ("sun", "township_a1x", "past", OK),
    ("sun", "village_a1x1", "past", OK),  # deeper than his grant, inside his post's subtree
    ("sun", "county_b1", "past", REFUSED),  # outside his scope
    ("sun", "township_a1x", "future", REFUSED),
    ("alice", "township_a1x", "past", OK),  # the department records on his behalf
    ("dave", "township_a1x", "past", FORBIDDEN),  # an inspector may not
    ("carol", "township_a1x", "past", HIDDEN),  # cannot see the leader at all
    ("erin", "township_a1x", "past", HIDDEN),
]


@pytest.mark.parametrize(("persona", "unit", "when", "expected"), VISIT_ROWS)
def test_api_visit_matrix(fw, persona, unit, when, expected):
    user = fw.sun if persona == "sun" else getattr(fw.world, persona)
    body = {
        "unit_id": getattr(fw.world, unit).pk,
        "visited_on": _yesterday()
        if when == "past"
        else (clock.today() + datetime.timedelta(days=2)).isoformat(),
        "purpose": "research",
        "problems_found": ["活动阵地未正常开放"],
    }
    if persona != "sun":
        body["leader_id"] = fw.leader.pk
    response = Client().post(
        "/api/field/visits",
        data=json.dumps(body),
        content_type="application/json",
        **_bearer(user),
    )
    status = {OK: 201, FORBIDDEN: 403, HIDDEN: 404, REFUSED: 422}[expected]
    assert response.status_code == status, response.content
    assert Visit.objects.count() == (1 if expected == OK else 0)
    assert Problem.objects.filter(source__code="visit").count() == (1 if expected == OK else 0)


POINT_ROWS = [
    ("sun", "village_a1x1", OK),
    ("sun", "county_b1", REFUSED),
    ("alice", "village_a1x1", OK),
    ("dave", "village_a1x1", FORBIDDEN),
    ("carol", "village_a1x1", HIDDEN),
]


@pytest.mark.parametrize(("persona", "unit", "expected"), POINT_ROWS)
def test_api_point_matrix(fw, persona, unit, expected):
    user = fw.sun if persona == "sun" else getattr(fw.world, persona)
    body: dict[str, object] = {"unit_id": getattr(fw.world, unit).pk, "reason": "班子力量弱"}
    if persona != "sun":
        body["leader_id"] = fw.leader.pk
    response = Client().post(
        "/api/field/points",
        data=json.dumps(body),
        content_type="application/json",
        **_bearer(user),
    )
    status = {OK: 201, FORBIDDEN: 403, HIDDEN: 404, REFUSED: 422}[expected]
    assert response.status_code == status, response.content
    assert ContactPoint.objects.count() == (1 if expected == OK else 0)


def test_refusal_names_no_unit_outside_the_callers_sight(fw):
    body = {"unit_id": fw.world.county_b1.pk, "visited_on": _yesterday(), "purpose": "research"}
    response = Client().post(
        "/api/field/visits",
        data=json.dumps(body),
        content_type="application/json",
        **_bearer(fw.sun),
    )
    assert response.status_code == 422
    assert fw.world.county_b1.name not in response.content.decode()


def test_api_lists_follow_scope(fw):
    services.record_visit(
        actor=fw.sun,
        leader=fw.leader,
        unit=fw.world.township_a1x,
        visited_on=clock.today(),
        purpose=VisitPurpose.LESSON,
    )
    seen = Client().get("/api/field/visits", **_bearer(fw.world.alice)).json()
    unseen = Client().get("/api/field/visits", **_bearer(fw.world.carol)).json()
    assert seen["count"] == 1 and unseen["count"] == 0


def test_visit_form_keeps_input_and_changes_nothing_on_a_future_date(fw):
    client = _client(fw.sun)
    future = (clock.today() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        "/field/visits/new/",
        {
            "unit": fw.world.township_a1x.pk,
            "visited_on": future,
            "purpose": "lesson",
            "note": "给社区党员上党课",
            "problems_found": "党员教育流于形式",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "不能晚于今天" in text and "给社区党员上党课" in text and "党员教育流于形式" in text
    assert Visit.objects.count() == 0 and Problem.objects.count() == 0


def test_leader_year_and_overview_query_counts_are_pinned(fw, django_assert_num_queries):
    year = clock.today().year
    services.designate_contact_point(
        actor=fw.sun, leader=fw.leader, unit=fw.world.township_a1x, year=year, reason="试点"
    )
    for n in range(3):
        services.record_visit(
            actor=fw.sun,
            leader=fw.leader,
            unit=fw.world.township_a1x,
            visited_on=clock.today() - datetime.timedelta(days=n),
            purpose=VisitPurpose.RESEARCH,
            problems_found=[f"问题{n}"],
        )
    client = _client(fw.sun)
    client.get("/field/")  # warm the session and grant caches
    with django_assert_num_queries(7):
        assert client.get(f"/field/leaders/{fw.leader.pk}/{year}/").status_code == 200
    with django_assert_num_queries(5):
        assert client.get("/field/").status_code == 200
