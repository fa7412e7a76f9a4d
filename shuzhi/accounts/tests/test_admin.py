"""The Django admin shows accounts, grants and the audit trail but changes nothing: a
superuser's POST to an add, change, password or delete page is refused and the row stays."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from shuzhi.accounts.models import Grant, Role
from shuzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _staff_client(world) -> Client:
    client = Client()
    client.force_login(world.root)
    return client


def test_superuser_sees_the_user_list_and_change_page(world):
    client = _staff_client(world)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:accounts_user_change", args=[world.erin.pk])).status_code == 200
    )


def test_post_to_user_change_page_changes_nothing(world):
    client = _staff_client(world)
    erin = world.erin
    audit_before = AuditEntry.objects.count()
    response = client.post(
        reverse("admin:accounts_user_change", args=[erin.pk]),
        {
            "username": "erin",
            "full_name": "改过的名字",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    erin.refresh_from_db()
    assert (erin.is_superuser, erin.is_staff, erin.full_name) == (False, False, "钱无权")
    assert AuditEntry.objects.count() == audit_before


def test_add_password_and_delete_pages_are_refused(world):
    client = _staff_client(world)
    User = get_user_model()
    users = User.objects.count()
    add = client.post(
        reverse("admin:accounts_user_add"),
        {"username": "mallory", "password1": "Xk9!long-pass", "password2": "Xk9!long-pass"},
    )
    assert add.status_code == 403
    password = client.post(
        reverse("admin:auth_user_password_change", args=[world.erin.pk]),
        {"password1": "Xk9!long-pass", "password2": "Xk9!long-pass"},
    )
    assert password.status_code == 403
    delete = client.post(
        reverse("admin:accounts_user_delete", args=[world.erin.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert User.objects.count() == users
    assert User.objects.get(pk=world.erin.pk).check_password("pw-erin")


def test_grants_and_audit_entries_cannot_be_added_or_changed(world):
    client = _staff_client(world)
    grants = Grant.objects.count()
    response = client.post(
        reverse("admin:accounts_grant_add"),
        {"user": world.erin.pk, "unit": world.province.pk, "role": Role.ORGANISER},
    )
    assert response.status_code == 403
    assert Grant.objects.count() == grants
    assert not Grant.objects.filter(user=world.erin).exists()
    entry = AuditEntry.objects.create(action="test.entry", object_type="x", object_id="1")
    change = client.post(reverse("admin:core_auditentry_change", args=[entry.pk]), {})
    assert change.status_code == 403
    assert (
        client.post(
            reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert client.get(reverse("admin:index")).status_code == 200


def test_every_registered_model_is_read_only(world, rf):
    """Whatever an app registers in the admin, a superuser may look but not add, change or
    delete (a new writable registration fails here)."""
    request = rf.get("/admin/")
    request.user = world.root
    writable = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    ]
    assert writable == []
    assert len(admin.site._registry) >= 3  # users, grants, audit entries at least
