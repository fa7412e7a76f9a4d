"""API tokens: shown once, stored hashed, narrowed to access, areas and lifetime, revocable by
their owner and by whoever manages the owner's account, and never managing tokens."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from shuzhi.accounts import tokens
from shuzhi.accounts.models import ApiToken, hash_token
from shuzhi.api import api
from shuzhi.core.models import AuditEntry
from shuzhi.orgs.models import Person

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
    response = client.post(
        reverse("token_list"), {"name": "每日同步", "access": "read", "areas": ["orgs"], "days": 90}
    )
    token = ApiToken.objects.get(user=world.alice)
    body = response.content.decode()
    assert 'id="new-token"' in body and token.prefix in body
    assert 'id="new-token"' not in client.get(reverse("token_list")).content.decode()


def test_without_scope_over_the_owner_one_revokes_ones_own_tokens_only(world, client):
    mine, _ = tokens.issue_token(actor=world.carol, name="mine")
    theirs, _ = tokens.issue_token(actor=world.bob, name="theirs")
    client.force_login(world.carol)
    assert client.get(reverse("token_revoke", args=[mine.pk])).status_code == 405
    assert client.post(reverse("token_revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


# --- access, areas, expiry ---------------------------------------------------------------


def test_a_read_token_reads_but_cannot_write(world):
    _, raw = tokens.issue_token(actor=world.alice, name="读", access="read", areas=["orgs"])
    client = Client()
    assert client.get("/api/units/", **_bearer(raw)).status_code == 200
    response = client.post(
        "/api/people/", {"name": "张三"}, content_type="application/json", **_bearer(raw)
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "该令牌为只读令牌，不能修改数据。"
    assert not Person.objects.filter(name="张三").exists()


def test_a_write_token_writes_in_its_areas_only(world):
    _, raw = tokens.issue_token(actor=world.alice, name="写", access="write", areas=["orgs"])
    client = Client()
    response = client.post(
        "/api/people/",
        {"name": "张三", "unit_code": world.province.code},
        content_type="application/json",
        **_bearer(raw),
    )
    assert response.status_code in (200, 201), response.content
    refused = client.get("/api/problems/", **_bearer(raw))
    assert refused.status_code == 403
    assert "问题整改" in refused.json()["detail"]
    assert client.get("/api/accounts/me", **_bearer(raw)).status_code == 403


def test_an_expired_token_gets_401(world):
    token, raw = tokens.issue_token(actor=world.alice, name="x", days=1)
    assert Client().get("/api/units/", **_bearer(raw)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert Client().get("/api/units/", **_bearer(raw)).status_code == 401


@override_settings(SHUZHI_TOKEN_MAX_DAYS=30, SHUZHI_TOKEN_DEFAULT_DAYS=7)
def test_lifetime_has_a_default_and_a_ceiling(world):
    token, _ = tokens.issue_token(actor=world.alice, name="x")
    assert (token.expires_at - timezone.now()).days == 6  # 7 days less a moment
    with pytest.raises(ValidationError) as exc:
        tokens.issue_token(actor=world.alice, name="x", days=31)
    assert "1 到 30 天" in str(exc.value)
    with pytest.raises(ValidationError):
        tokens.issue_token(actor=world.alice, name="x", areas=["nowhere"])
    with pytest.raises(ValidationError):
        tokens.issue_token(actor=world.alice, name="x", access="admin")


def test_every_api_router_belongs_to_an_area():
    prefixes = {prefix.strip("/").split("/")[0] for prefix, _router in api._routers}
    assert prefixes - {"", "vote"} <= set(tokens.PATH_AREAS)
    assert set(tokens.PATH_AREAS.values()) == set(tokens.AREAS)


def test_a_token_never_manages_tokens(world):
    token, raw = tokens.issue_token(
        actor=world.alice, name="全部", access="write", areas=list(tokens.AREAS)
    )
    client = Client()
    made = client.post(
        "/api/accounts/tokens", {"name": "更多"}, content_type="application/json", **_bearer(raw)
    )
    assert made.status_code == 403 and "令牌不能用于" in made.json()["detail"]
    assert client.get("/api/accounts/tokens", **_bearer(raw)).status_code == 403
    assert client.delete(f"/api/accounts/tokens/{token.pk}", **_bearer(raw)).status_code == 403
    listed = client.get(f"/api/accounts/users/{world.dave.pk}/tokens", **_bearer(raw))
    assert listed.status_code == 403
    assert ApiToken.objects.count() == 1
    # The same person signed in on the web page may.
    client.force_login(world.alice)
    made = client.post(
        "/api/accounts/tokens",
        {"name": "更多", "access": "read", "areas": ["reports"], "days": 10},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert made.json()["areas"] == ["reports"] and made.json()["token"].startswith("sz_")


# --- the owner's list and the organisers' ------------------------------------------------


def test_an_organiser_lists_and_revokes_the_tokens_of_accounts_in_scope(world):
    token, raw = tokens.issue_token(actor=world.dave, name="督查脚本")
    client = Client()
    client.force_login(world.alice)
    listed = client.get(f"/api/accounts/users/{world.dave.pk}/tokens")
    assert listed.status_code == 200
    assert [t["prefix"] for t in listed.json()] == [token.prefix]
    assert "sz_" not in listed.content.decode().replace(token.prefix, "")
    page = client.get(reverse("user_detail", args=[world.dave.pk])).content.decode()
    assert token.prefix in page and reverse("token_revoke", args=[token.pk]) in page
    assert client.delete(f"/api/accounts/tokens/{token.pk}").status_code == 204
    assert Client().get("/api/accounts/me", **_bearer(raw)).status_code == 401
    entry = AuditEntry.objects.get(action="token.revoke")
    assert entry.actor_id == world.alice.pk and entry.changes == {"owner": ["赵督查", None]}


def test_out_of_scope_accounts_tokens_are_out_of_sight(world):
    token, _ = tokens.issue_token(actor=world.dave, name="x")
    client = Client()
    client.force_login(world.carol)  # viewer of city B: dave is in city A
    assert client.get(f"/api/accounts/users/{world.dave.pk}/tokens").status_code in (403, 404)
    assert client.delete(f"/api/accounts/tokens/{token.pk}").status_code == 404
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    client.force_login(world.bob)  # secretary of city A: sees dave, may not manage him
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code in (403, 404)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_page_issues_a_scoped_token(world, client):
    client.force_login(world.alice)
    response = client.post(
        reverse("token_list"),
        {"name": "报表", "access": "read", "areas": ["reports", "assessment"], "days": "30"},
    )
    assert 'id="new-token"' in response.content.decode()
    token = ApiToken.objects.get(user=world.alice)
    assert token.access == "read" and token.areas == ["reports", "assessment"]
    assert (token.expires_at - timezone.now()).days == 29
    too_long = client.post(
        reverse("token_list"), {"name": "x", "access": "read", "areas": ["reports"], "days": "9999"}
    )
    assert 'id="new-token"' not in too_long.content.decode()
    assert ApiToken.objects.count() == 1
