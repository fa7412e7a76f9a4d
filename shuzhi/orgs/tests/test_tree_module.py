"""``shuzhi.orgs.tree.paths``: the one function that moves subtrees, and the copies it keeps in
step."""

from __future__ import annotations

import datetime

import pytest

from shuzhi.orgs.signals import subtree_moved
from shuzhi.orgs.tests.test_import_units import check_tree_consistent, csv_bytes, run
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree import services
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import Problem

pytestmark = pytest.mark.django_db


def _problem(world, unit: Unit) -> Problem:
    return problem_services.create_problem(
        actor=world.root,
        unit=unit,
        description=f"{unit.name}的问题",
        source="xunshi",
        found_on=datetime.date(2026, 3, 1),
        year=2026,
    )


@pytest.fixture
def events():
    sent: list[tuple[str, str]] = []

    def listen(sender, *, old_prefix, new_prefix, **kwargs):
        sent.append((old_prefix, new_prefix))

    subtree_moved.connect(listen, dispatch_uid="test-tree-module")
    yield sent
    subtree_moved.disconnect(dispatch_uid="test-tree-module")


def test_a_page_move_sends_one_event_with_both_prefixes(world, events):
    old = world.county_a1.path
    services.move_unit(actor=world.alice, unit=world.county_a1, new_parent=world.city_b)
    assert events == [(old, f"{world.city_b.path}{world.county_a1.pk}/")]


def test_a_merge_moves_each_child_through_the_tree_path(world, events):
    problems = [_problem(world, world.village_a1x1), _problem(world, world.county_a2)]
    services.merge_unit(
        actor=world.alice, unit=world.city_a, into=world.city_b, date=datetime.date(2026, 6, 1)
    )
    assert sorted(events) == sorted(
        [
            (world.county_a1.path, f"{world.city_b.path}{world.county_a1.pk}/"),
            (world.county_a2.path, f"{world.city_b.path}{world.county_a2.pk}/"),
        ]
    )
    for problem in problems:
        problem.refresh_from_db()
        assert problem.unit_path.startswith(world.city_b.path)
        assert problem.unit_path == Unit.objects.get(pk=problem.unit_id).path
    check_tree_consistent()


def test_an_import_moving_a_unit_to_the_top_sends_the_event(world, events):
    problem = _problem(world, world.village_a1x1)
    job = run(world.root, csv_bytes("440103,荔湾区委,,county"))
    assert job.status == "done", job.errors
    county = Unit.objects.get(pk=world.county_a1.pk)
    assert (county.parent_id, county.path, county.depth) == (None, f"/{county.pk}/", 1)
    assert events == [(world.county_a1.path, county.path)]
    problem.refresh_from_db()
    assert problem.unit_path == Unit.objects.get(pk=world.village_a1x1.pk).path
    check_tree_consistent()


def test_an_import_without_moves_sends_nothing(world, events):
    job = run(world.alice, csv_bytes("440103,荔湾区委员会,440100,county"))
    assert job.status == "done", job.errors
    assert events == []


def test_move_subtree_refuses_paths_that_are_not_the_units(world):
    with pytest.raises(ValueError):
        tree.move_subtree(
            unit_id=world.county_a1.pk,
            old_path=world.county_a2.path,
            new_path=f"{world.city_b.path}{world.county_a1.pk}/",
            new_parent_id=world.city_b.pk,
        )
    with pytest.raises(ValueError):
        tree.move_subtree(
            unit_id=world.county_a1.pk,
            old_path=world.county_a1.path,
            new_path=f"{world.township_a1x.path}{world.county_a1.pk}/",
            new_parent_id=world.township_a1x.pk,
        )
    assert Unit.objects.get(pk=world.county_a1.pk).parent_id == world.city_a.pk


def test_rewrite_prefix_touches_only_the_subtree(world):
    inside, outside = _problem(world, world.township_a1x), _problem(world, world.county_a2)
    changed = tree.rewrite_prefix(Problem.objects.all(), "unit_path", world.county_a1.path, "/999/")
    assert changed == 1
    assert Problem.objects.get(pk=inside.pk).unit_path == f"/999/{world.township_a1x.pk}/"
    assert Problem.objects.get(pk=outside.pk).unit_path == world.county_a2.path
    assert set(tree.stale_path_copies()) == {("rectification.problem", "unit_path")}
