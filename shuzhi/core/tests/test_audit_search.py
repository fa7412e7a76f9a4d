"""The audit search page and API: scoped by audit.view, filtered by actor, object and date."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzhi.core import audit
from shuzhi.core.models import AuditEntry
from shuzhi.orgs.tree import services as org_services

pytestmark = pytest.mark.django_db


def _entry(actor, unit, action="unit.update", at=None, label=None):
    if at is None:
        return audit.record(
            actor=actor, action=action, obj=unit, object_label=label or "", scope_path=unit.path
        )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: at)
        return audit.record(actor=actor, action=action, obj=unit, scope_path=unit.path)


def _ids(response) -> set[int]:
    return {e["id"] for e in response.json()["items"]}


@pytest.fixture
def history(world):
    """One real change in each city and one installation-wide entry without a scope."""
    org_services.update_unit(actor=world.alice, unit=world.county_a1, name="荔湾区委员会")
    org_services.update_unit(actor=world.root, unit=world.county_b1, name="罗湖区委员会")
    audit.record(
        actor=world.root,
        action="unittype.create",
        object_type="orgs.unittype",
        object_id="99",
        object_label="新类型",
    )
    return {
        "a1": AuditEntry.objects.get(object_id=str(world.county_a1.pk)),
        "b1": AuditEntry.objects.get(object_id=str(world.county_b1.pk)),
        "global": AuditEntry.objects.get(action="unittype.create"),
    }


@pytest.mark.smoke
def test_page_scoping_by_persona(world, client, olga, history):
    client.force_login(world.alice)
    body = client.get(reverse("audit_search")).content.decode()
    assert "荔湾区委员会" in body and "罗湖区委员会" in body and "新类型" not in body

    client.force_login(olga)
    body = client.get(reverse("audit_search")).content.decode()
    assert "荔湾区委员会" in body and "罗湖区委员会" not in body

    client.force_login(world.root)
    assert "新类型" in client.get(reverse("audit_search")).content.decode()

    for persona in (world.bob, world.carol, world.dave, world.erin):
        client.force_login(persona)
        assert client.get(reverse("audit_search")).status_code == 403


def test_api_scoping_matches_the_page(world, client, olga, history):
    client.force_login(olga)
    assert _ids(client.get("/api/audit/")) == {history["a1"].pk}
    client.force_login(world.alice)
    assert _ids(client.get("/api/audit/")) == {history["a1"].pk, history["b1"].pk}
    client.force_login(world.root)
    assert _ids(client.get("/api/audit/")) == {e.pk for e in history.values()}
    client.force_login(world.bob)
    assert client.get("/api/audit/").status_code == 403


def test_filters_actor_object_action(world, client, history):
    client.force_login(world.alice)
    get = lambda **q: _ids(client.get("/api/audit/", q))  # noqa: E731
    assert get(actor="王组织") == {history["a1"].pk}
    assert get(actor="alice") == {history["a1"].pk}  # exact user name
    assert get(actor="ali") == set()  # user names match exactly, display names by part
    assert get(object_text="罗湖") == {history["b1"].pk}
    assert get(object_text=str(world.county_a1.pk)) == {history["a1"].pk}
    assert get(action="unit") == {history["a1"].pk, history["b1"].pk}
    assert get(action="unit.move") == set()
    assert get(object_type="orgs.unit") == {history["a1"].pk, history["b1"].pk}
    page = client.get(reverse("audit_search"), {"actor": "王组织"}).content.decode()
    assert "荔湾区委员会" in page and "罗湖区委员会" not in page


def test_filter_by_date(world, client):
    tz = timezone.get_current_timezone()
    old = _entry(world.alice, world.city_a, at=datetime.datetime(2026, 1, 10, 9, 0, tzinfo=tz))
    new = _entry(world.alice, world.city_a, at=datetime.datetime(2026, 3, 5, 23, 30, tzinfo=tz))
    client.force_login(world.alice)
    get = lambda **q: _ids(client.get("/api/audit/", q))  # noqa: E731
    assert get(date_from="2026-02-01") == {new.pk}
    assert get(date_to="2026-02-01") == {old.pk}
    # Local dates: 23:30 in Shanghai on 5 March is still 5 March.
    assert get(date_from="2026-03-05", date_to="2026-03-05") == {new.pk}
    response = client.get(
        reverse("audit_search"), {"date_from": "2026-03-06", "date_to": "2026-03-01"}
    )
    assert "截止日期不能早于起始日期" in response.content.decode()
    response = client.get(
        reverse("audit_search"), {"date_from": "2026-01-01", "date_to": "2026-01-31"}
    )
    assert response.context["page"].paginator.count == 1


def test_page_paginates_with_fixed_queries(world, client, django_assert_num_queries):
    for i in range(60):
        _entry(world.alice, world.county_a2, label=f"记录{i}")
    client.force_login(world.alice)
    # session, user, reader's grants, count, page of entries
    with django_assert_num_queries(5):
        response = client.get(reverse("audit_search"), {"page": 2})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 10
    assert "第 2 / 2 页" in response.content.decode()
