"""Conventions of the one tree write path (docs/decisions/0008-one-tree-write-path.md).

Every field that copies a unit's path must either follow moves — registered with
``shuzhi.orgs.tree.paths.keeps_path_copy`` and connected to ``subtree_moved`` — or be listed as a
historical copy with its reason. A model that gains such a field and neither fails here, before
its copies can go stale after a move.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree.models import Unit

ROOT = Path(__file__).resolve().parent.parent


def _pattern_indexed(model) -> set[str]:
    """Fields indexed for prefix search (``varchar_pattern_ops``): the sign of a path column."""
    found = set()
    for index in model._meta.indexes:
        if "varchar_pattern_ops" in (index.opclasses or ()):
            found.update(index.fields)
    return found


def path_like_fields(candidates) -> set[tuple[str, str]]:
    """(model label, field) for every text field that looks like a copy of a unit path."""
    found = set()
    for model in candidates:
        prefix_indexed = _pattern_indexed(model)
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) or not isinstance(
                field, models.CharField | models.TextField
            ):
                continue
            if "path" in field.name or field.name in prefix_indexed:
                found.add((model._meta.label_lower, field.name))
    return found


def unaccounted(candidates) -> set[tuple[str, str]]:
    """Path-like fields that neither follow moves nor are declared historical."""
    own = {(Unit._meta.label_lower, "path")}
    known = set(tree.PATH_COPIES) | set(tree.HISTORICAL_PATH_COPIES) | own
    return path_like_fields(candidates) - known


def test_every_copy_of_a_unit_path_follows_moves_or_says_why_not():
    product = [m for m in apps.get_models() if m._meta.app_config.name.startswith("shuzhi.")]
    assert unaccounted(product) == set()


def test_every_registered_copy_is_a_real_field_with_a_connected_receiver():
    assert tree.PATH_COPIES, "Problem.unit_path at least is registered"
    for (label, name), copy in tree.PATH_COPIES.items():
        model = apps.get_model(label)
        model._meta.get_field(name)
        assert model._meta.get_field(copy.unit_field).related_model is Unit, (label, name)
        assert tree.is_connected(copy), (label, name)
    for label, name in tree.HISTORICAL_PATH_COPIES:
        apps.get_model(label)._meta.get_field(name)
        assert tree.HISTORICAL_PATH_COPIES[(label, name)].strip()


@isolate_apps("shuzhi.orgs")
def test_a_new_path_copy_without_a_receiver_is_caught():
    """The check above can fail: a model that copies a unit's path is flagged, whether the
    field says "path" or is indexed for prefix search."""

    class Visit(models.Model):
        unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
        unit_path = models.CharField(max_length=255)

        class Meta:
            app_label = "orgs"

        def __str__(self) -> str:
            return self.unit_path

    class Tally(models.Model):
        scope = models.CharField(max_length=255)
        note = models.TextField()

        class Meta:
            app_label = "orgs"
            indexes = [
                models.Index(fields=["scope"], name="t_scope", opclasses=["varchar_pattern_ops"])
            ]

        def __str__(self) -> str:
            return self.scope

    assert unaccounted([Visit, Tally]) == {("orgs.visit", "unit_path"), ("orgs.tally", "scope")}


def _writes_of_unit_paths(source: str) -> list[int]:
    """Lines that write ``path``, ``depth`` or ``parent`` of existing units through the ORM:
    ``Unit.objects…update(path=… | depth=… | parent=… | parent_id=…)``, ``bulk_update`` of
    those fields, or an assignment to such an attribute (then saved)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign):
            # ``unit.parent = …`` followed by a save: a move by hand.
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(
                isinstance(t, ast.Attribute) and t.attr in {"path", "depth", "parent", "parent_id"}
                for t in targets
            ):
                lines.append(node.lineno)
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in {"update", "bulk_update"}:
            continue
        chain = ast.unparse(node.func.value)
        if not chain.startswith("Unit.objects"):
            continue
        written = {kw.arg for kw in node.keywords}
        if node.func.attr == "bulk_update" and len(node.args) > 1:
            written |= {ast.literal_eval(e) for e in node.args[1].elts}  # type: ignore[attr-defined]
        if written & {"path", "depth", "parent", "parent_id"}:
            lines.append(node.lineno)
    return lines


# The tests' own tree builder sets a new unit's path directly (the product: tree.place_new_unit).
CREATES = {"shuzhi/core/testing.py"}


def test_only_the_tree_module_moves_units():
    """No product code outside shuzhi/orgs/tree/paths.py rewrites units' paths, depths or parents.

    (The unit import's bulk writer sets ``parent_id`` with the other columns of updated rows in
    raw SQL; its moves of paths still go through ``tree.move_subtree``.)"""
    offenders = {}
    for path in sorted((ROOT / "shuzhi").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if (
            "/migrations/" in relative
            or "/tests/" in relative
            or relative == "shuzhi/orgs/tree/paths.py"
        ):
            continue
        lines = _writes_of_unit_paths(path.read_text())
        if lines and relative not in CREATES:
            offenders[relative] = lines
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("Unit.objects.filter(pk=1).update(parent=x)", [1]),
        ("Unit.objects.filter(path__startswith=p).update(path=v, depth=d)", [1]),
        ("Unit.objects.bulk_update(units, ['path'])", [1]),
        ("unit.parent = other\nunit.save()", [1]),
        ("unit.name = 'x'\nUnit.objects.filter(pk=1).update(name='x')", []),
    ],
)
def test_the_scan_for_unit_moves_sees_them(source, found):
    assert _writes_of_unit_paths(source) == found
