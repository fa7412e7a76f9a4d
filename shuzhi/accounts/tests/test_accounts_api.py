"""The accounts API: scoped users, creation, grants and tokens; session auth needs CSRF."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from shuzhi.accounts import tokens
from shuzhi.accounts.models import ApiToken, Grant, Role
from shuzhi.core.testing import make_user

from .conftest import STRONG_PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def _as(user) -> Client:
    _, raw = tokens.issue_token(actor=user, name="test", access="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.smoke
def test_users_list_is_scoped(world, olga):
    body = _as(olga).get("/api/accounts/users").json()
    assert {u["username"] for u in body["items"]} == {"bob", "dave", "olga"}
    dave = next(u for u in body["items"] if u["username"] == "dave")
    assert dave["grants"] == [
        {
            "id": world.dave.grants.get().pk,
            "role": "inspector",
            "unit_id": world.county_a1.pk,
            "unit_code": "440103",
            "unit_name": "荔湾区委",
        }
    ]
    assert _as(world.bob).get("/api/accounts/users").status_code == 403
    body = _as(world.alice).get("/api/accounts/users", {"q": "zhang"}).json()
    assert body["count"] == 0


def test_users_list_query_count_is_fixed(world, django_assert_num_queries):
    for i in range(30):
        make_user(f"u{i:02d}", (Role.VIEWER, world.county_a2))
    client = _as(world.alice)
    # token+user, grants of the reader, count, page, grants of the page
    with django_assert_num_queries(5):
        response = client.get("/api/accounts/users", {"limit": 20})
    assert response.status_code == 200
    assert response.json()["count"] == 34


def test_user_detail_outside_scope_is_404(world, olga):
    client = _as(olga)
    assert client.get(f"/api/accounts/users/{world.dave.pk}").status_code == 200
    assert client.get(f"/api/accounts/users/{world.carol.pk}").status_code == 404
    assert client.get("/api/accounts/users/999999").status_code == 404


def test_create_user_through_api(world):
    client = _as(world.alice)
    payload = {
        "username": "api-user",
        "full_name": "接口用户",
        "password": STRONG_PASSWORD,
        "grants": [{"unit_code": "440104", "role": "secretary"}],
    }
    response = client.post("/api/accounts/users", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["grants"][0]["unit_code"] == "440104"
    response = client.post(
        "/api/accounts/users",
        {**payload, "username": "api-2", "grants": [{"unit_code": "440104", "role": "admin"}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    response = client.post(
        "/api/accounts/users",
        {**payload, "username": "api-3", "password": "123"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "password" in response.json()["errors"]
    response = client.post(
        "/api/accounts/users",
        {**payload, "username": "api-4", "grants": [{"unit_code": "nope", "role": "viewer"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "unit_code" in response.json()["errors"]
    assert not User.objects.filter(username__in=["api-2", "api-3", "api-4"]).exists()


def test_add_and_revoke_grant_through_api(world, olga):
    client = _as(olga)
    url = f"/api/accounts/users/{world.dave.pk}/grants"
    response = client.post(
        url, {"unit_code": "440104", "role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 201
    grant_id = response.json()["id"]
    response = client.post(
        url, {"unit_code": "440303", "role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 422  # city B's county is not a unit olga may grant on
    assert client.delete(f"/api/accounts/grants/{grant_id}").status_code == 204
    assert not Grant.objects.filter(pk=grant_id).exists()
    carol_grant = world.carol.grants.get()
    assert client.delete(f"/api/accounts/grants/{carol_grant.pk}").status_code == 404
    last = world.dave.grants.get()
    assert client.delete(f"/api/accounts/grants/{last.pk}").status_code == 422


def test_tokens_api_lists_creates_once_and_revokes(world):
    tokens.issue_token(actor=world.carol, name="test")
    client = Client()
    client.force_login(world.carol)  # tokens are managed signed in, never with a token
    response = client.post(
        "/api/accounts/tokens", {"name": "报表"}, content_type="application/json"
    )
    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith("sz_")
    listed = client.get("/api/accounts/tokens").json()
    assert {t["name"] for t in listed} == {"test", "报表"}
    assert all("token" not in t for t in listed)
    bob_token, _ = tokens.issue_token(actor=world.bob, name="bob")
    assert client.delete(f"/api/accounts/tokens/{bob_token.pk}").status_code == 404
    assert client.delete(f"/api/accounts/tokens/{created['id']}").status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None
    new_client = Client(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert new_client.get("/api/accounts/me").status_code == 401


def test_session_auth_requires_csrf_for_unsafe_methods(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.get("/api/accounts/me").status_code == 200
    response = client.post("/api/accounts/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.exists()
    client.get("/accounts/tokens/")  # sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/api/accounts/tokens",
        {"name": "x"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201
