"""The history of one object: shown when the reader may see the object's scope, else 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.accounts import services as account_services
from shuzhi.accounts.models import Role
from shuzhi.core import audit
from shuzhi.orgs.tree import services as org_services

pytestmark = pytest.mark.django_db


def _url(object_type, object_id) -> str:
    return reverse("audit_object", args=[object_type, object_id])


@pytest.mark.smoke
def test_unit_history_follows_the_unit_scope(world, client, olga):
    org_services.update_unit(actor=world.alice, unit=world.county_b1, name="罗湖区委员会")
    org_services.update_unit(actor=world.alice, unit=world.county_a2, name="越秀区委员会")
    client.force_login(olga)
    response = client.get(_url("orgs.unit", world.county_a2.pk))
    assert response.status_code == 200
    assert "越秀区委员会" in response.content.decode()
    assert client.get(_url("orgs.unit", world.county_b1.pk)).status_code == 404
    assert client.get(_url("orgs.unit", 999999)).status_code == 404
    client.force_login(world.bob)  # sees city A, but may not read its history
    assert client.get(_url("orgs.unit", world.county_a2.pk)).status_code == 404
    client.force_login(world.root)
    assert client.get(_url("orgs.unit", world.county_b1.pk)).status_code == 200


def test_history_moves_with_the_unit(world, client, olga):
    """A unit moved into olga's subtree brings its earlier history into her view."""
    org_services.update_unit(actor=world.alice, unit=world.county_b1, name="罗湖区委员会")
    client.force_login(olga)
    assert client.get(_url("orgs.unit", world.county_b1.pk)).status_code == 404
    org_services.move_unit(actor=world.alice, unit=world.county_b1, new_parent=world.city_a)
    response = client.get(_url("orgs.unit", world.county_b1.pk))
    assert response.status_code == 200
    assert "罗湖区委员会" in response.content.decode()


def test_user_history_follows_the_account_scope(world, client, olga):
    account_services.update_user(actor=world.alice, user=world.dave, full_name="赵督查组长")
    account_services.update_user(actor=world.alice, user=world.carol, full_name="张查看员")
    client.force_login(olga)
    assert client.get(_url("accounts.user", world.dave.pk)).status_code == 200
    assert client.get(_url("accounts.user", world.carol.pk)).status_code == 404
    assert client.get(_url("accounts.user", world.erin.pk)).status_code == 404
    response = client.get(f"/api/audit/object/accounts.user/{world.dave.pk}")
    assert [e["action"] for e in response.json()["items"]] == ["user.update"]
    assert client.get(f"/api/audit/object/accounts.user/{world.carol.pk}").status_code == 404


def test_objects_without_a_locator_use_entry_scopes(world, client, olga):
    audit.record(
        actor=world.alice,
        action="thing.create",
        object_type="other.thing",
        object_id="7",
        object_label="某事项",
        scope_path=world.county_a1.path,
    )
    client.force_login(olga)
    assert client.get(_url("other.thing", "7")).status_code == 200
    client.force_login(world.carol)
    assert client.get(_url("other.thing", "7")).status_code == 404


def test_grant_history_appears_on_the_user_page(world, client):
    account_services.add_grant(
        actor=world.alice, user=world.dave, role=Role.VIEWER, unit=world.county_a2
    )
    client.force_login(world.alice)
    body = client.get(reverse("user_detail", args=[world.dave.pk])).content.decode()
    assert "grant.add" in body and "越秀区委" in body
