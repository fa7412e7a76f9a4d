"""API tokens: shown once, stored hashed, revocable, and working as bearer credentials."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shuzhi.accounts import tokens
from shuzhi.accounts.models import ApiToken, hash_token
from shuzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.smoke
def test_bearer_token_reaches_me_and_revoked_token_gets_401(world):
    token, raw = tokens.issue_token(actor=world.dave, name="同步脚本")
    client = Client()
    response = client.get("/api/accounts/me", **_bearer(raw))
    assert response.status_code == 200
    assert response.json()["username"] == "dave"
    assert response.json()["grants"][0]["unit_code"] == "440103"
    tokens.revoke_token(actor=world.dave, token=token)
    assert client.get("/api/accounts/me", **_bearer(raw)).status_code == 401
    assert client.get("/api/accounts/me", **_bearer("sz_made-up")).status_code == 401
    assert client.get("/api/accounts/me").status_code == 401


def test_token_of_a_deactivated_user_stops_working(world):
    _, raw = tokens.issue_token(actor=world.dave, name="x")
    world.dave.is_active = False
    world.dave.save()
    assert Client().get("/api/accounts/me", **_bearer(raw)).status_code == 401


def test_only_the_hash_is_stored(world):
    token, raw = tokens.issue_token(actor=world.alice, name="x")
    assert token.key_hash == hash_token(raw)
    assert raw not in str(list(ApiToken.objects.values()))
    assert raw not in str(list(AuditEntry.objects.values()))


def test_token_page_shows_the_raw_value_once(world, client):
    client.force_login(world.alice)
    response = client.post(reverse("token_list"), {"name": "每日同步"})
    token = ApiToken.objects.get(user=world.alice)
    body = response.content.decode()
    assert 'id="new-token"' in body and token.prefix in body
    assert 'id="new-token"' not in client.get(reverse("token_list")).content.decode()


def test_revoke_own_token_only(world, client):
    mine, _ = tokens.issue_token(actor=world.alice, name="mine")
    theirs, _ = tokens.issue_token(actor=world.bob, name="theirs")
    client.force_login(world.alice)
    assert client.get(reverse("token_revoke", args=[mine.pk])).status_code == 405
    assert client.post(reverse("token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
