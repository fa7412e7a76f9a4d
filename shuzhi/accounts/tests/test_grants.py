"""Grants: nobody gives a role wider than their own scope or stronger than their own role."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuzhi.accounts import policies, services
from shuzhi.accounts.models import Grant, Role
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user
from shuzhi.orgs.tree.models import UnitStatus

pytestmark = pytest.mark.django_db

NON_ADMIN = [Role.ORGANISER, Role.SECRETARY, Role.INSPECTOR, Role.LEADER, Role.VIEWER]


@pytest.mark.smoke
def test_grantable_roles_by_persona(world, olga, adam, other_province):
    assert policies.grantable_roles(world.alice, world.city_a) == NON_ADMIN
    assert policies.grantable_roles(world.alice, other_province) == []
    assert policies.grantable_roles(olga, world.county_a1) == NON_ADMIN
    assert policies.grantable_roles(olga, world.city_b) == []
    assert policies.grantable_roles(olga, world.province) == []
    assert policies.grantable_roles(adam, world.county_a1) == list(Role.values)
    assert policies.grantable_roles(adam, world.city_b) == []
    for persona in (world.bob, world.carol, world.dave, world.erin):
        assert policies.grantable_roles(persona, world.county_a1) == []
        assert policies.grantable_roles(persona) == []
    assert policies.grantable_roles(world.root, other_province) == list(Role.values)
    assert not policies.can_grant(world.alice, "no-such-role", world.city_a)


def test_admin_grant_needs_an_admin(world, adam):
    with pytest.raises(PermissionDenied, match="系统管理员"):
        services.add_grant(
            actor=world.alice, user=world.dave, role=Role.ADMIN, unit=world.county_a1
        )
    assert not Grant.objects.filter(user=world.dave, role=Role.ADMIN).exists()
    assert not AuditEntry.objects.exists()
    services.add_grant(actor=adam, user=world.dave, role=Role.ADMIN, unit=world.county_a1)
    services.add_grant(actor=world.root, user=world.bob, role=Role.ADMIN, unit=world.city_a)


def test_add_grant_records_and_scopes(world):
    grant = services.add_grant(
        actor=world.alice, user=world.dave, role=Role.VIEWER, unit=world.county_b1
    )
    assert grant.granted_by == world.alice
    entry = AuditEntry.objects.get(action="grant.add")
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(world.dave.pk))
    assert entry.scope_path == world.county_b1.path
    assert entry.changes == {"grant": [None, "只读查看 @ 罗湖区委（440303）"]}
    with pytest.raises(ValidationError, match="已有"):
        services.add_grant(
            actor=world.alice, user=world.dave, role=Role.VIEWER, unit=world.county_b1
        )


def test_organiser_of_a_city_cannot_reach_beyond_it(world, olga):
    with pytest.raises(PermissionDenied):
        services.add_grant(actor=olga, user=world.dave, role=Role.VIEWER, unit=world.city_b)
    # carol lives in city B: olga may not touch her, even to grant inside city A.
    with pytest.raises(PermissionDenied):
        services.add_grant(actor=olga, user=world.carol, role=Role.VIEWER, unit=world.county_a1)
    # a secretary has no grant.change at all
    with pytest.raises(PermissionDenied):
        services.add_grant(actor=world.bob, user=world.dave, role=Role.VIEWER, unit=world.county_a1)


def test_no_grants_on_merged_units(world):
    world.county_a2.status = UnitStatus.MERGED
    world.county_a2.save()
    with pytest.raises(ValidationError) as exc:
        services.add_grant(
            actor=world.alice, user=world.dave, role=Role.VIEWER, unit=world.county_a2
        )
    assert "unit" in exc.value.message_dict


def test_revoke_grant_keeps_the_last_one(world):
    only = world.dave.grants.get()
    with pytest.raises(ValidationError, match="最后一项授权"):
        services.revoke_grant(actor=world.alice, grant=only)
    extra = services.add_grant(
        actor=world.alice, user=world.dave, role=Role.VIEWER, unit=world.county_a2
    )
    services.revoke_grant(actor=world.alice, grant=extra)
    assert list(world.dave.grants.all()) == [only]
    entry = AuditEntry.objects.get(action="grant.revoke")
    assert entry.changes == {"grant": ["只读查看 @ 越秀区委（440104）", None]}
    # A superuser may take the last grant away.
    services.revoke_grant(actor=world.root, grant=only)
    assert not world.dave.grants.exists()


def test_revoke_refused_outside_scope(world, olga):
    extra = make_user("both", (Role.VIEWER, world.county_a1), (Role.VIEWER, world.county_b1))
    grant_a = extra.grants.get(unit=world.county_a1)
    with pytest.raises(PermissionDenied):
        services.revoke_grant(actor=olga, grant=grant_a)


def test_new_grant_takes_effect_in_the_same_request(world):
    assert not policies.users_visible_to(world.dave).exists()
    services.add_grant(
        actor=world.alice, user=world.dave, role=Role.ORGANISER, unit=world.county_a1
    )
    assert policies.grantable_roles(world.dave, world.county_a1) == NON_ADMIN


# --- pages --------------------------------------------------------------------------------


def test_grant_form_on_user_page(world, client):
    client.force_login(world.alice)
    detail = reverse("user_detail", args=[world.dave.pk])
    body = client.get(detail).content.decode()
    assert 'value="admin"' not in body and 'value="viewer"' in body
    url = reverse("user_grant_add", args=[world.dave.pk])
    response = client.post(url, {"unit_code": "440303", "role": Role.INSPECTOR})
    assert response.status_code == 302
    assert world.dave.grants.filter(unit=world.county_b1, role=Role.INSPECTOR).exists()
    response = client.post(url, {"unit_code": "440303", "role": Role.ADMIN})
    assert response.status_code == 400
    response = client.post(url, {"unit_code": "nope", "role": Role.VIEWER})
    assert response.status_code == 400
    assert "未找到该组织代码" in response.content.decode()


def test_grant_revoke_button(world, client, olga):
    extra = services.add_grant(
        actor=world.alice, user=world.dave, role=Role.VIEWER, unit=world.county_a2
    )
    client.force_login(olga)
    assert client.get(reverse("grant_revoke", args=[extra.pk])).status_code == 405
    response = client.post(reverse("grant_revoke", args=[extra.pk]))
    assert response.status_code == 302
    assert not Grant.objects.filter(pk=extra.pk).exists()
    # carol's grant is outside olga's scope: 404, as if it did not exist
    carol_grant = world.carol.grants.get()
    assert client.post(reverse("grant_revoke", args=[carol_grant.pk])).status_code == 404
    # the last grant: a message, no change
    only = world.dave.grants.get()
    response = client.post(reverse("grant_revoke", args=[only.pk]), follow=True)
    assert "最后一项授权" in response.content.decode()
    assert Grant.objects.filter(pk=only.pk).exists()
