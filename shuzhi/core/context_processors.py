"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from .policies import may_manage_units, may_search_audit


def navigation(request: HttpRequest) -> dict:
    """Which navigation entries this user sees (computed from their grants, cached per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    manage = may_manage_units(user)
    return {
        "nav": {
            "units": True,
            "people": True,
            "import": manage,
            "users": manage,
            "audit": may_search_audit(user),
        }
    }
