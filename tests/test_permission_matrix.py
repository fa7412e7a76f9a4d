"""The permission matrix: persona × role × inside/outside scope × action, on the web and the API.

The convention (docs/permissions.md):
- ``ok``: the action succeeds (2xx, or a redirect after a successful form post);
- ``forbidden`` (403): the object is in a scope the persona can see, but their role lacks
  the action — or, for pages without an object (lists, searches), they lack it everywhere;
- ``hidden`` (404): the object is outside every scope where the persona can see it, exactly
  like an object that does not exist. Accounts are seen through ``user.view``, so personas
  without it get 404 for any account.

Personas come from ``shuzhi.core.testing.build_world``: alice organiser of the province, bob
secretary of city A (city A and its direct children), carol viewer of city B, dave inspector
of county A1, erin without grants, root superuser — plus lena, a leadership-team member
(班子成员, ``Role.LEADER``) of city A, created by :func:`stage` (one-level, like a secretary).

The actions of problems, reports, critiques and plans live in
``tests/test_permission_matrix_ledger.py`` on the same personas and conventions.

Every row names how to check that its page or endpoint is routed (:func:`_exists`); a row whose
URL has disappeared fails rather than being skipped, so the matrix cannot lose a row silently.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from shuzhi.accounts import tokens
from shuzhi.accounts.models import Grant, Role
from shuzhi.core.testing import World, make_unit, make_user, unit_type
from shuzhi.kernel.roles import ROLE_ACTIONS
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, HIDDEN = "ok", "forbidden", "hidden"
STATUS = {FORBIDDEN: {403}, HIDDEN: {404}}


@dataclass(frozen=True)
class Persona:
    role: str | None  # the role of the persona's single grant; "superuser" for root
    inside: str | None  # a unit (World attribute) inside the persona's scope
    outside: tuple[str, ...]  # units outside it
    move_to: str | None  # a unit the persona can see, used as a new parent


PERSONAS = {
    "alice": Persona(Role.ORGANISER, "county_a1", ("other",), "city_b"),
    # county B1 is outside bob's city; the township is too deep for a secretary's grant.
    "bob": Persona(Role.SECRETARY, "county_a1", ("county_b1", "township_a1x"), "county_a2"),
    "carol": Persona(Role.VIEWER, "county_b1", ("county_a1",), "city_b"),
    "dave": Persona(Role.INSPECTOR, "county_a1", ("county_b1", "city_a"), "township_a1x"),
    "erin": Persona(None, None, ("county_a1", "province"), None),
    # A leader's grant reaches one level down, like a secretary's.
    "lena": Persona(Role.LEADER, "county_a1", ("county_b1", "township_a1x"), "county_a2"),
    "root": Persona("superuser", "county_b1", (), "city_a"),
}

# What each persona may do *inside* its scope. Outside, every object action is HIDDEN.
MANAGER = {
    "unit.view": OK,
    "unit.create_child": OK,
    "unit.rename": OK,
    "unit.move": OK,
    "person.view": OK,
    "user.list": OK,
    "grant.add": OK,
    "audit.search": OK,
    "unit.export": OK,
    "token.list": OK,
    "token.revoke": OK,
}
READER = {
    "unit.view": OK,
    "unit.create_child": FORBIDDEN,
    "unit.rename": FORBIDDEN,
    "unit.move": FORBIDDEN,
    "person.view": OK,
    "user.list": FORBIDDEN,
    "grant.add": HIDDEN,  # accounts are invisible without user.view
    "audit.search": FORBIDDEN,
    "unit.export": OK,
    "token.list": HIDDEN,  # an account's tokens are seen with the account
    "token.revoke": HIDDEN,
}
NOBODY = {"user.list": FORBIDDEN, "audit.search": FORBIDDEN}
EXPECTED = {
    "alice": MANAGER,
    "bob": READER,
    "carol": READER,
    "dave": READER,
    "erin": NOBODY,
    "lena": READER,
    "root": MANAGER,
}

WRITES = {"unit.create_child", "unit.rename", "unit.move", "grant.add", "token.revoke"}

# Actions without an object: the persona either has the right somewhere or not.
UNSCOPED = {"user.list", "audit.search"}


@pytest.fixture
def stage(world: World):
    """The world plus lena (leader of city A), a second province, a person and a plain
    account in every unit."""
    # World lists build_world's personas; lena is the matrix's own, reached the same way.
    world.lena = make_user(  # type: ignore[attr-defined]
        "lena", (Role.LEADER, world.city_a), full_name="周委员"
    )
    other = make_unit("450000", "广西区委", "province")
    units = {name: getattr(world, name) for name in World.__dataclass_fields__}
    units = {k: v for k, v in units.items() if isinstance(v, Unit)}
    units["other"] = other
    people, accounts = {}, {}
    for name, unit in units.items():
        people[name] = Person.objects.create(name=f"人员{unit.code}", unit=unit)
        accounts[name] = make_user(f"acct{unit.code}", (Role.VIEWER, unit))
    return world, units, people, accounts


def _exists(*, name: str = "", args: tuple = (), path: str = "") -> bool:
    """Is this page (by URL name) or API path routed?"""
    try:
        if name:
            reverse(name, args=args)
        if path:
            resolve(path)
    except (NoReverseMatch, Resolver404):
        return False
    return True


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> Client:
    _, raw = tokens.issue_token(actor=user, name="matrix", access="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# Each action: web and API callables (client, stage, unit name, persona) -> response.
Call = Callable[..., object]


def _unit_form(unit: Unit, **changes) -> dict:
    data = {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "type": unit.type_id,
        "sort_order": unit.sort_order,
    }
    return {**data, **changes}


def _web_create_child(client, st, where, persona):
    unit = st[1][where]
    return client.post(
        reverse("unit_add_child", args=[unit.pk]),
        {"code": f"N{unit.code}", "name": "新组织", "type": unit_type("community").pk},
    )


def _web_rename(client, st, where, persona):
    unit = st[1][where]
    return client.post(reverse("unit_edit", args=[unit.pk]), _unit_form(unit, name="改名"))


def _web_move(client, st, where, persona):
    unit, target = st[1][where], st[1][PERSONAS[persona].move_to or "city_a"]
    return client.post(reverse("unit_move", args=[unit.pk]), {"new_parent": target.code})


def _api_create_child(client, st, where, persona):
    unit = st[1][where]
    payload = {"parent_id": unit.pk, "code": f"N{unit.code}", "name": "新组织", "type": "community"}
    return client.post("/api/units/", payload, content_type="application/json")


def _api_rename(client, st, where, persona):
    unit = st[1][where]
    return client.patch(f"/api/units/{unit.pk}", {"name": "改名"}, content_type="application/json")


def _api_move(client, st, where, persona):
    unit, target = st[1][where], st[1][PERSONAS[persona].move_to or "city_a"]
    return client.post(
        f"/api/units/{unit.pk}/move",
        {"new_parent_id": target.pk},
        content_type="application/json",
    )


def _web_grant(client, st, where, persona):
    account, unit = st[3][where], st[1][where]
    return client.post(
        reverse("user_grant_add", args=[account.pk]),
        {"unit_code": unit.code, "role": Role.INSPECTOR},
    )


def _api_grant(client, st, where, persona):
    account, unit = st[3][where], st[1][where]
    return client.post(
        f"/api/accounts/users/{account.pk}/grants",
        {"unit_code": unit.code, "role": Role.INSPECTOR},
        content_type="application/json",
    )


def _session(st, persona) -> Client:
    # The token endpoints refuse token-authenticated requests: the API is called signed in.
    return _web(getattr(st[0], persona))


def _web_token_list(client, st, where, persona):
    tokens.issue_token(actor=st[3][where], name="脚本")
    return client.get(reverse("user_detail", args=[st[3][where].pk]))


def _api_token_list(client, st, where, persona):
    tokens.issue_token(actor=st[3][where], name="脚本")
    return _session(st, persona).get(f"/api/accounts/users/{st[3][where].pk}/tokens")


def _web_token_revoke(client, st, where, persona):
    token, _ = tokens.issue_token(actor=st[3][where], name="脚本")
    return client.post(reverse("token_revoke", args=[token.pk]))


def _api_token_revoke(client, st, where, persona):
    token, _ = tokens.issue_token(actor=st[3][where], name="脚本")
    return _session(st, persona).delete(f"/api/accounts/tokens/{token.pk}")


ACTIONS: dict[str, dict[str, tuple[Call, Callable[[], bool]]]] = {
    "unit.view": {
        "web": (
            lambda c, st, w, p: c.get(reverse("unit_detail", args=[st[1][w].pk])),
            lambda: _exists(name="unit_detail", args=(1,)),
        ),
        "api": (
            lambda c, st, w, p: c.get(f"/api/units/{st[1][w].pk}"),
            lambda: _exists(path="/api/units/1"),
        ),
    },
    "unit.create_child": {
        "web": (_web_create_child, lambda: True),
        "api": (_api_create_child, lambda: _exists(path="/api/units/")),
    },
    "unit.rename": {
        "web": (_web_rename, lambda: True),
        "api": (_api_rename, lambda: _exists(path="/api/units/1")),
    },
    "unit.move": {
        "web": (_web_move, lambda: True),
        "api": (_api_move, lambda: _exists(path="/api/units/1/move")),
    },
    "person.view": {
        "web": (
            lambda c, st, w, p: c.get(reverse("person_detail", args=[st[2][w].pk])),
            lambda: _exists(name="person_detail", args=(1,)),
        ),
        "api": (
            lambda c, st, w, p: c.get(f"/api/people/{st[2][w].pk}"),
            lambda: _exists(path="/api/people/1"),
        ),
    },
    "user.list": {
        "web": (lambda c, st, w, p: c.get(reverse("user_list")), lambda: True),
        "api": (lambda c, st, w, p: c.get("/api/accounts/users"), lambda: True),
    },
    "grant.add": {
        "web": (_web_grant, lambda: True),
        "api": (_api_grant, lambda: True),
    },
    "audit.search": {
        "web": (lambda c, st, w, p: c.get(reverse("audit_search")), lambda: True),
        "api": (lambda c, st, w, p: c.get("/api/audit/"), lambda: True),
    },
    "unit.export": {
        "web": (
            lambda c, st, w, p: c.get(
                reverse("unit_export_download"), {"unit": st[1][w].code, "format": "csv"}
            ),
            lambda: _exists(name="unit_export_download"),
        ),
    },
    # Another account's API tokens: listed with the account, revoked by whoever manages it.
    "token.list": {
        "web": (_web_token_list, lambda: _exists(name="user_detail", args=(1,))),
        "api": (_api_token_list, lambda: _exists(path="/api/accounts/users/1/tokens")),
    },
    "token.revoke": {
        "web": (_web_token_revoke, lambda: _exists(name="token_revoke", args=(1,))),
        "api": (_api_token_revoke, lambda: _exists(path="/api/accounts/tokens/1")),
    },
}


def _cases():
    for persona, action in itertools.product(PERSONAS, ACTIONS):
        info, expected = PERSONAS[persona], EXPECTED[persona]
        for channel in ACTIONS[action]:
            if action in UNSCOPED:
                yield persona, action, channel, "-", expected[action]
                continue
            if info.inside and action in expected:
                yield persona, action, channel, info.inside, expected[action]
            for where in info.outside:
                yield persona, action, channel, where, HIDDEN


CASES = list(_cases())


@pytest.mark.parametrize(
    ("persona", "action", "channel", "where", "expected"),
    CASES,
    ids=[f"{p}-{a}-{c}-{w}-{e}" for p, a, c, w, e in CASES],
)
def test_matrix(stage, persona, action, channel, where, expected):
    call, available = ACTIONS[action][channel]
    assert available(), f"{action} has no {channel} endpoint: its URL is not routed"
    world = stage[0]
    user = getattr(world, persona)
    client = _web(user) if channel == "web" else _api(user)
    response = call(client, stage, where, persona)
    status = response.status_code  # type: ignore[attr-defined]
    if expected == OK and action in WRITES and channel == "web":
        # A form that re-renders (200) did not write: success is the redirect.
        assert status == 302, (status, response.content[:300])  # type: ignore[attr-defined]
    elif expected == OK:
        assert status < 400, (status, response.content[:300])  # type: ignore[attr-defined]
    else:
        assert status in STATUS[expected], (status, response.content[:300])  # type: ignore[attr-defined]


@pytest.mark.smoke
def test_writes_happen_only_when_allowed(stage):
    """The matrix's status codes match the database: a refused call leaves no trace."""
    world, units, _, accounts = stage
    _web(world.bob).post(
        reverse("unit_edit", args=[units["county_a1"].pk]),
        _unit_form(units["county_a1"], name="不该改"),
    )
    _api(world.carol).post(
        f"/api/accounts/users/{accounts['county_b1'].pk}/grants",
        {"unit_code": "440303", "role": Role.ADMIN},
        content_type="application/json",
    )
    assert Unit.objects.get(pk=units["county_a1"].pk).name == "荔湾区委"
    assert not Grant.objects.filter(role=Role.ADMIN).exists()
    _web(world.alice).post(
        reverse("unit_edit", args=[units["county_a1"].pk]),
        _unit_form(units["county_a1"], name="荔湾区委员会"),
    )
    assert Unit.objects.get(pk=units["county_a1"].pk).name == "荔湾区委员会"


def test_person_list_shows_only_people_in_scope(stage):
    world, _, people, _ = stage
    for persona, info in PERSONAS.items():
        body = _web(getattr(world, persona)).get(reverse("person_list")).content.decode()
        if info.inside:
            assert people[info.inside].name in body, persona
        for where in info.outside:
            assert people[where].name not in body, (persona, where)


def test_expectations_agree_with_the_roles_table():
    """The matrix above is written out by hand; it must say what roles.py says."""
    needed = {
        "unit.view": "unit.view",
        "unit.create_child": "unit.change",
        "unit.rename": "unit.change",
        "unit.move": "unit.change",
        "person.view": "person.view",
        "user.list": "user.view",
        "grant.add": "grant.change",
        "audit.search": "audit.view",
        "unit.export": "unit.export",
        "token.list": "user.view",
        "token.revoke": "user.change",
    }
    for persona, info in PERSONAS.items():
        if info.role in (None, "superuser"):
            continue
        for action, right in needed.items():
            allowed = right in ROLE_ACTIONS[info.role]
            assert (EXPECTED[persona][action] == OK) == allowed, (persona, action)
