"""Shared test helpers: a small tree builder and named personas.

Personas (used across the suite so a failing test reads like a story):
- alice: organiser of the province — manages everything below it.
- bob: secretary of city A — sees city A and its counties, changes nothing.
- carol: viewer of city B.
- dave: inspector of county A1.
- erin: an account with no grants at all.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from shuzhi.accounts.models import Grant, Role
from shuzhi.orgs.tree.models import Unit, UnitType, child_path


def ensure_default_unit_types() -> None:
    """Recreate the shipped unit types after a transactional test flushed the tables."""
    if UnitType.objects.exists():
        return
    migration = importlib.import_module("shuzhi.orgs.migrations.0002_default_unit_types")
    for position, (code, name, level) in enumerate(migration.DEFAULT_TYPES, start=1):
        UnitType.objects.create(code=code, name=name, level_label=level, sort_order=position * 10)


def ensure_default_problem_sources() -> None:
    """Recreate the shipped problem sources after a transactional test flushed the tables."""
    from django.apps import apps

    from shuzhi.rectification.models import ProblemSource

    if ProblemSource.objects.filter(builtin=True).exists():
        return
    migration = importlib.import_module("shuzhi.rectification.migrations.0003_default_sources")
    migration.add_sources(apps, None)
    results = importlib.import_module("shuzhi.rectification.migrations.0005_results_source")
    results.add_source(apps, None)
    visits = importlib.import_module("shuzhi.field.migrations.0002_visit_source")
    visits.add_source(apps, None)


def unit_type(code: str) -> UnitType:
    ensure_default_unit_types()
    return UnitType.objects.get(code=code)


def make_unit(code: str, name: str, type_code: str, parent: Unit | None = None, **extra) -> Unit:
    """Create a unit directly (tests only; the product goes through services)."""
    unit = Unit.objects.create(
        code=code,
        name=name,
        type=unit_type(type_code),
        parent=parent,
        path=f"~{code}",
        depth=(parent.depth + 1) if parent else 1,
        **extra,
    )
    unit.path = child_path(parent.path if parent else "", unit.pk)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


def make_user(username: str, *grants: tuple[str, Unit], **extra):
    User = get_user_model()
    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    for role, unit in grants:
        Grant.objects.create(user=user, unit=unit, role=role)
    return user


@dataclass
class World:
    """A small province: two cities, two counties each, a township and a village under A1."""

    province: Unit
    city_a: Unit
    city_b: Unit
    county_a1: Unit
    county_a2: Unit
    county_b1: Unit
    township_a1x: Unit
    village_a1x1: Unit
    alice: object
    bob: object
    carol: object
    dave: object
    erin: object
    root: object


def build_world() -> World:
    ensure_default_problem_sources()
    province = make_unit("440000", "广东省委", "province")
    city_a = make_unit("440100", "广州市委", "city", province)
    city_b = make_unit("440300", "深圳市委", "city", province)
    county_a1 = make_unit("440103", "荔湾区委", "county", city_a)
    county_a2 = make_unit("440104", "越秀区委", "county", city_a)
    county_b1 = make_unit("440303", "罗湖区委", "county", city_b)
    township_a1x = make_unit("440103001", "沙面街道党工委", "subdistrict", county_a1)
    village_a1x1 = make_unit("440103001001", "沙面社区党委", "community", township_a1x)
    return World(
        province=province,
        city_a=city_a,
        city_b=city_b,
        county_a1=county_a1,
        county_a2=county_a2,
        county_b1=county_b1,
        township_a1x=township_a1x,
        village_a1x1=village_a1x1,
        alice=make_user("alice", (Role.ORGANISER, province), full_name="王组织"),
        bob=make_user("bob", (Role.SECRETARY, city_a), full_name="李书记"),
        carol=make_user("carol", (Role.VIEWER, city_b), full_name="张查看"),
        dave=make_user("dave", (Role.INSPECTOR, county_a1), full_name="赵督查"),
        erin=make_user("erin", full_name="钱无权"),
        root=get_user_model().objects.create_superuser("root", password="pw-root"),
    )
