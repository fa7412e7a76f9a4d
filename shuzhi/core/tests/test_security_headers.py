"""Security headers on pages and API responses."""

from __future__ import annotations

import pytest

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
