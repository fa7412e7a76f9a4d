"""Who may do what to which problem: the action × persona matrix, the one-level reach of a
secretary, and the scope filter agreeing with the single-object check."""

from __future__ import annotations

import pytest

from shuzhi.rectification.models import Problem
from shuzhi.rectification.policies import (
    can_carry_over,
    can_manage_sources,
    can_problem,
    path_depth,
    problem_scope_q,
    users_who_can_problem,
)

from .problem_fixtures import record

pytestmark = pytest.mark.django_db

ACTIONS = ["problem.view", "problem.create", "problem.rectify", "problem.verify"]
# persona → actions allowed on a problem of county A1
EXPECTED_A1 = {
    "alice": set(ACTIONS),
    "bob": {"problem.view", "problem.rectify"},
    "carol": set(),
    "dave": {"problem.view", "problem.create", "problem.verify"},
    "erin": set(),
    "root": set(ACTIONS),
}


@pytest.fixture
def problems(world, media):
    return {
        "a1": record(world),
        "township": record(world, unit=world.township_a1x),
    }


def test_path_depth_matches_unit_depth(world):
    for unit in (world.province, world.county_a1, world.village_a1x1):
        assert path_depth(unit.path) == unit.depth


@pytest.mark.parametrize("persona", list(EXPECTED_A1))
@pytest.mark.parametrize("action", ACTIONS)
def test_action_matrix_on_a_county_problem(world, problems, persona, action):
    user = getattr(world, persona)
    assert can_problem(user, action, problems["a1"]) == (action in EXPECTED_A1[persona])


def test_secretary_reaches_one_level_only(world, problems):
    assert can_problem(world.bob, "problem.view", problems["a1"])
    assert not can_problem(world.bob, "problem.view", problems["township"])
    assert can_problem(world.dave, "problem.verify", problems["township"])


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "dave", "erin", "root"])
def test_scope_filter_agrees_with_the_object_check(world, problems, persona):
    user = getattr(world, persona)
    for action in ACTIONS:
        visible = set(Problem.objects.filter(problem_scope_q(user, action)))
        expected = {p for p in Problem.objects.all() if can_problem(user, action, p)}
        assert visible == expected
    assert set(Problem.objects.visible_to(user)) == {
        p for p in Problem.objects.all() if can_problem(user, "problem.view", p)
    }


def test_users_who_can(world, problems):
    verifiers = set(users_who_can_problem("problem.verify", problems["a1"]))
    assert verifiers == {world.alice, world.dave, world.root}
    rectifiers = set(users_who_can_problem("problem.rectify", problems["a1"]))
    assert rectifiers == {world.alice, world.bob, world.root}
    assert world.bob not in set(users_who_can_problem("problem.rectify", problems["township"]))


def test_carry_over_and_sources(world):
    assert can_carry_over(world.alice, world.city_a)
    assert not can_carry_over(world.alice, None)
    assert can_carry_over(world.root, None)
    for persona in (world.bob, world.carol, world.dave, world.erin):
        assert not can_carry_over(persona, world.city_a)
    assert can_manage_sources(world.root)
    assert not any(can_manage_sources(p) for p in (world.alice, world.bob, world.dave, world.erin))
