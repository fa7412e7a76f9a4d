"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """Which navigation entries this user sees (computed from their grants, cached per request)."""
    from shuzhi.kernel.scope import is_global, scopes_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    manage = is_global(user) or bool(scopes_for(user, "unit.change"))
    return {
        "nav": {
            "units": True,
            "people": True,
            "import": manage,
            "users": manage,
            "audit": is_global(user) or bool(scopes_for(user, "audit.view")),
        }
    }
