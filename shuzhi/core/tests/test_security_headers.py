"""Security headers on pages and API responses."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from shuzhi.accounts.tokens import issue_token

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, str]:
    parts = [p.strip() for p in response["Content-Security-Policy"].split(";")]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] for p in parts if p}


@pytest.mark.smoke
@pytest.mark.parametrize("path", ["/accounts/login/", "/api/accounts/me"])
def test_headers_on_pages_and_api(client, path):
    response = client.get(path)
    csp = _csp(response)
    assert csp["script-src"] == "'self'"  # no inline script anywhere in the product
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_headers_on_signed_in_pages(world, client):
    client.force_login(world.alice)
    response = client.get("/accounts/users/")
    assert response.status_code == 200
    assert _csp(response)["script-src"] == "'self'"
    assert "unsafe-inline" not in _csp(response)["script-src"]


def test_api_docs_run_under_the_same_policy(client):
    # The OpenAPI viewer loads its scripts from our own static files, so it needs no exception.
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert _csp(response)["script-src"] == "'self'"
    assert b"<script>" not in response.content


@pytest.mark.parametrize("path", ["/api/docs", "/api/openapi.json"])
def test_api_docs_and_schema_answer_404_when_turned_off(client, settings, path):
    settings.SHUZHI_API_DOCS = False
    assert client.get(path).status_code == 404
    settings.SHUZHI_API_DOCS = True
    assert client.get(path).status_code == 200


def test_api_docs_are_off_by_default_in_production():
    """The production settings, started as an operator would, leave the docs off."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SHUZHI_API_DOCS", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shuzhi.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shuzhi.example.org",
        DATABASE_URL="sqlite:///var/test-prod-docs.sqlite3",
    )
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.SHUZHI_API_DOCS)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("path", ["/", "/accounts/users/", "/api/accounts/me", "/api/units/"])
def test_signed_in_responses_are_not_stored(world, client, path):
    client.force_login(world.alice)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_responses_to_an_api_token_are_not_stored(world, client):
    _token, raw = issue_token(actor=world.alice, name="脚本")
    response = client.get("/api/units/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_own_rules(world, client):
    client.force_login(world.alice)
    static = client.get("/static/vendor/htmx/htmx.min.js")
    assert "no-store" not in static.get("Cache-Control", "")
