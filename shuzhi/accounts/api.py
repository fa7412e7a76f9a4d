"""Accounts API: who am I, and (for organisers) users and grants in scope."""

from __future__ import annotations

from ninja import Router, Schema

router = Router(tags=["账号"])


class GrantOut(Schema):
    role: str
    unit_id: int
    unit_code: str
    unit_name: str


class MeOut(Schema):
    username: str
    display_name: str
    is_superuser: bool
    grants: list[GrantOut]


@router.get("/me", response=MeOut)
def me(request):
    """The calling user and their grants."""
    user = request.auth
    grants = [
        GrantOut(role=g.role, unit_id=g.unit_id, unit_code=g.unit.code, unit_name=g.unit.name)
        for g in user.grants.select_related("unit")
    ]
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        is_superuser=user.is_superuser,
        grants=grants,
    )
