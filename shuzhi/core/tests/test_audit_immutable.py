"""Audit entries cannot be changed or deleted through the product, nor in PostgreSQL itself."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from shuzhi.core import audit
from shuzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    return audit.record(
        actor=world.alice,
        action="unit.update",
        obj=world.city_a,
        scope_path=world.city_a.path,
        changes={"name": ["旧", "新"]},
    )


@pytest.mark.smoke
def test_model_and_queryset_refuse_changes(entry):
    entry.note = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="篡改")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.note == ""


def test_admin_offers_no_add_change_or_delete(world, entry, client):
    model_admin = site._registry[AuditEntry]
    request = RequestFactory().get("/")
    request.user = world.root
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    world.root.is_staff = True
    world.root.save()
    client.force_login(world.root)
    change_url = reverse("admin:core_auditentry_change", args=[entry.pk])
    client.post(change_url, {"note": "篡改", "action": "x"})
    delete_url = reverse("admin:core_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert (entry.note, entry.action) == ("", "unit.update")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgresql_trigger_refuses_raw_update_and_delete(entry):
    for sql in (
        "UPDATE core_auditentry SET note = 'x' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""
