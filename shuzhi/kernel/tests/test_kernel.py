"""The permission kernel: grants → scopes, ``visible_to`` on scoped querysets, the one loader
(404 out of sight, 403 seen but refused), ``may_anywhere`` and the template filters."""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template import Context, Template

from shuzhi.kernel.loader import load, require_anywhere
from shuzhi.kernel.querysets import depth_of
from shuzhi.kernel.roles import ALL_ACTIONS, Role, role_allows, roles_for
from shuzhi.kernel.scope import (
    can_at,
    forget_grants,
    granted_exactly_at,
    held_roles,
    is_global,
    may_anywhere,
    roles_at,
    scope_q,
    scopes_for,
)
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

KERNEL = pathlib.Path(__file__).resolve().parents[1]


def test_kernel_imports_nothing_from_other_apps():
    """The kernel sits at the bottom of the import graph."""
    for source in KERNEL.rglob("*.py"):
        if "tests" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith("shuzhi.") or name.startswith("shuzhi.kernel"), (
                    f"{source.name} imports {name}"
                )


def test_unknown_action_is_refused(world):
    with pytest.raises(ValueError):
        roles_for("unit.fly")
    with pytest.raises(ValueError):
        can_at(world.root, "unit.fly", "/1/", 1)
    with pytest.raises(ValueError):
        may_anywhere(world.alice, "unit.fly")
    assert "report.write" in ALL_ACTIONS
    assert role_allows(Role.SECRETARY, "report.write")
    assert not role_allows(Role.VIEWER, "report.write")


def test_scopes_of_the_personas(world):
    (alice,) = scopes_for(world.alice, "unit.change")
    assert (alice.path, alice.max_depth) == (world.province.path, None)
    (bob,) = scopes_for(world.bob, "report.review")
    assert (bob.path, bob.max_depth) == (world.city_a.path, world.city_a.depth + 1)
    assert scopes_for(world.bob, "unit.change") == []
    assert scopes_for(world.erin, "unit.view") == []
    assert scopes_for(AnonymousUser(), "unit.view") == []


def test_one_level_roles_reach_the_direct_children_only(world):
    a1, x = world.county_a1, world.township_a1x
    assert can_at(world.bob, "report.review", a1.path, a1.depth)
    assert not can_at(world.bob, "report.review", x.path, x.depth)
    assert can_at(world.alice, "unit.change", x.path, x.depth)
    assert not can_at(world.carol, "unit.view", a1.path, a1.depth)
    assert roles_at(world.bob, a1.path, a1.depth) == {Role.SECRETARY}
    assert roles_at(world.bob, x.path, x.depth) == set()
    assert held_roles(world.dave) == {Role.INSPECTOR}
    assert granted_exactly_at(world.bob, "report.write") == [
        (world.city_a.path, world.city_a.depth)
    ]


def test_superusers_act_everywhere_but_inactive_ones_do_not(world):
    assert is_global(world.root)
    assert may_anywhere(world.root, "unittype.change")
    world.root.is_active = False
    assert not is_global(world.root)
    assert not may_anywhere(world.root, "unit.view")


def test_grants_are_read_once_per_user_object(world, django_assert_num_queries):
    user = world.bob
    forget_grants(user)
    with django_assert_num_queries(1):
        for action in ("unit.view", "report.review", "problem.rectify", "unit.change"):
            scopes_for(user, action)
        may_anywhere(user, "critique.write")


def test_scope_q_narrows_one_level_roles_by_depth(world):
    codes = set(Unit.objects.filter(scope_q(world.bob, "unit.view")).values_list("code", flat=True))
    assert codes == {"440100", "440103", "440104"}
    assert not Unit.objects.filter(scope_q(world.erin, "unit.view")).exists()
    assert Unit.objects.filter(scope_q(world.root, "unit.view")).count() == Unit.objects.count()
    with pytest.raises(ValueError):
        scope_q(world.bob, "unit.view", path="path", depth=None)


def test_visible_to_and_allows_agree(world):
    qs = Unit.objects.all()
    for user in (world.alice, world.bob, world.carol, world.dave, world.erin, world.root):
        for action in ("unit.view", "unit.change", "report.review"):
            seen = set(qs.visible_to(user, action).values_list("pk", flat=True))
            allowed = {u.pk for u in Unit.objects.all() if qs.allows(user, action, u)}
            assert seen == allowed, (user.username, action)


def test_depth_is_read_from_the_path(world):
    assert depth_of(world.township_a1x.path) == world.township_a1x.depth


def test_load_answers_404_out_of_sight_and_403_inside(world):
    a1 = world.county_a1
    assert load(Unit, world.alice, "unit.change", pk=a1.pk) == a1
    with pytest.raises(PermissionDenied):
        load(Unit, world.bob, "unit.change", pk=a1.pk)  # seen, not changeable
    with pytest.raises(Http404):
        load(Unit, world.carol, "unit.change", pk=a1.pk)  # another city
    with pytest.raises(Http404):
        load(Unit, world.erin, "unit.view", pk=a1.pk)
    with pytest.raises(Http404):
        load(Unit, world.alice, pk=0)
    with pytest.raises(Http404):
        load(Unit, world.alice, pk="not a number")


def test_load_asks_a_policy_where_scope_is_not_enough(world):
    a1 = world.county_a1
    with pytest.raises(PermissionDenied):
        load(Unit, world.alice, allowed=lambda user, unit: False, pk=a1.pk)
    with pytest.raises(Http404):
        load(Unit, world.alice, visible=lambda user, unit: False, pk=a1.pk)
    assert load(Unit.objects.all(), world.erin, visible=lambda u, o: True, pk=a1.pk) == a1


def test_require_anywhere(world):
    require_anywhere(world.alice, "unit.change")
    with pytest.raises(PermissionDenied):
        require_anywhere(world.bob, "unit.change")


def test_template_filters_ask_the_kernel(world):
    template = Template(
        '{% load kernel %}{% if user|may:"problem.create" %}Y{% else %}N{% endif %}'
        "{% if role|role_reaches_one_level %}1{% else %}*{% endif %}"
        "{% if role|role_manages %}M{% endif %}"
    )
    assert template.render(Context({"user": world.dave, "role": "secretary"})) == "Y1"
    assert template.render(Context({"user": world.bob, "role": "organiser"})) == "N*M"
