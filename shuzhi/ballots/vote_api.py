"""Voter API: submit a ballot with a one-time code (no login)."""

from ninja import Router

router = Router(tags=["vote"], auth=None)
