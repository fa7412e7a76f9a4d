"""The demo sign-ins: one account per role on the demo province, for ``seed_demo``.

``orgs.demo.seed`` builds the province and sends ``demo_seeded`` with its layout; this app,
above ``orgs`` in the import graph (docs/decisions/0012-import-layers.md), answers by creating
the accounts and their grants. The demo password is for local demonstrations only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from shuzhi.orgs.demo import DEMO_PASSWORD, PROVINCE_CODE, Plan, SeedResult, city_code
from shuzhi.orgs.people.models import PostRole
from shuzhi.orgs.signals import demo_seeded

from . import tokens
from .models import Grant, Role


@dataclass(frozen=True)
class DemoLogin:
    """One demo account: its role and where its grant sits (a unit code, or none)."""

    username: str
    full_name: str
    role: str  # a Role value; "admin" here means the superuser
    scope_code: str | None
    superuser: bool = False


def demo_logins() -> list[DemoLogin]:
    """The demo accounts, in the order ``demo_logins`` prints them."""
    city_a, city_b = city_code(1), city_code(2)
    return [
        DemoLogin("admin", "系统管理员", Role.ADMIN, None, superuser=True),
        DemoLogin("organiser", "林晓燕", Role.ORGANISER, PROVINCE_CODE),
        DemoLogin("city_organiser", "黄志强", Role.ORGANISER, city_a),
        DemoLogin("secretary", "", Role.SECRETARY, f"{city_a[:4]}02"),
        DemoLogin("inspector", "陈建华", Role.INSPECTOR, city_b),
        DemoLogin("viewer", "吴丽娟", Role.VIEWER, PROVINCE_CODE),
    ]


def _on_demo_seeded(sender, *, layout: Plan, result: SeedResult, **kwargs) -> None:
    _seed_logins(layout, result)
    _seed_tokens()


# Scripts' API tokens the demo shows on “API 令牌” and on the accounts' pages: a city's read-only
# reporting sync, and a province import script that writes the organisation tree only.
DEMO_TOKENS = (
    (
        "city_organiser",
        "市委组织部报表同步（只读）",
        "read",
        ["orgs", "reports", "rectification"],
        90,
    ),
    ("organiser", "组织机构导入脚本", "write", ["orgs"], 30),
)


def _seed_tokens() -> None:
    """Issue the demo tokens once (an account that has any token keeps what it has)."""
    User = get_user_model()
    for username, name, access, areas, days in DEMO_TOKENS:
        user = User.objects.filter(username=username).first()
        if user is None or user.api_tokens.exists():
            continue
        tokens.issue_token(actor=user, name=name, access=access, areas=areas, days=days)


def connect() -> None:
    """Create the demo sign-ins whenever the demo province is seeded (called once at start)."""
    demo_seeded.connect(_on_demo_seeded, dispatch_uid="accounts.demo_logins")


def _seed_logins(layout: Plan, result: SeedResult) -> None:
    """Create the demo users (existing accounts of the same name are left as they are)."""
    User = get_user_model()
    by_code = {unit.code: unit for unit in layout.units}
    secretaries = {
        post.unit_id: post.person_id
        for post in layout.posts
        if post.role == PostRole.SECRETARY and post.end_date is None
    }
    names = {person.pk: person.name for person in layout.people}
    for login in demo_logins():
        unit = by_code.get(login.scope_code) if login.scope_code else None
        person_id = secretaries[unit.pk] if unit and login.role == Role.SECRETARY else None
        user = User.objects.filter(username=login.username).first()
        if user is None:
            user = User(
                username=login.username,
                full_name=names[person_id] if person_id else login.full_name,
                is_superuser=login.superuser,
                is_staff=login.superuser,
                person_id=person_id,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            result.users += 1
        if unit is not None:
            _, created = Grant.objects.get_or_create(user=user, unit=unit, role=login.role)
            result.grants += int(created)
