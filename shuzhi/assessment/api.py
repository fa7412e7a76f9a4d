"""Assessment API, mounted at /api/assessment."""

from ninja import Router

router = Router(tags=["考核"])
