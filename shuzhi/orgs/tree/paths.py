"""The one write path for the shape of the organisation tree (docs/decisions/0008).

:func:`move_subtree` is the only code that rewrites an existing unit's ``path``, ``depth`` and
``parent``. Moving a unit (page, API), merging one (its children move under the target) and
importing a file that gives a unit a new parent all end here, once per moved subtree. Inside
the caller's transaction it rewrites the subtree with one ``UPDATE``, then sends
:data:`~shuzhi.orgs.signals.subtree_moved` with the old and the new prefix, so every copy of a
unit's path kept elsewhere (for scope filters without a join) is rewritten before the move
commits: the move and its consequences commit together or not at all.

A model that copies a unit's path registers the receiver that keeps the copy in step with
:func:`keeps_path_copy`; a copy that records where something was *when it happened* (and must
not follow) is listed in :data:`HISTORICAL_PATH_COPIES` with the reason. A conventions test
(tests/test_tree_conventions.py) fails for a path-like field in neither list.

Example — an app that stores ``unit_path`` on its rows::

    @tree.keeps_path_copy("myapp.item", "unit_path", unit_field="unit")
    def repath_items(sender, *, old_prefix, new_prefix, **kwargs):
        tree.rewrite_prefix(Item.objects.all(), "unit_path", old_prefix, new_prefix)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import BigIntegerField, Case, F, QuerySet, Value, When
from django.db.models.functions import Concat, Length, Substr

from shuzhi.orgs.signals import subtree_moved
from shuzhi.orgs.tree.models import PATH_SEPARATOR, Unit, child_path


def lock_tree() -> None:
    """Keep every other writer of the tree out until the current transaction commits.

    Two moves checked against each other's stale paths could otherwise build a cycle (X under
    Y while Y's ancestor goes under X). The lock mode conflicts with itself and with row
    writes, not with reads, so lists and pages carry on; the unit import takes the same lock.
    SQLite serialises writing transactions already (``transaction_mode`` IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE orgs_unit IN SHARE ROW EXCLUSIVE MODE")


def paths_to_copy(unit_ids: Iterable[int]) -> dict[int, str]:
    """The current paths of ``unit_ids``, read under a row lock held to the end of the
    transaction: a writer that copies them onto new rows calls this first.

    A move rewrites the unit rows before it rewrites the copies. Holding the unit rows makes a
    concurrent move wait until the new rows are committed (its rewrite of the copies then sees
    them), or makes this read wait until the move committed (and so read the new paths). A path
    read earlier without the lock may be stale by the time the rows are written.
    """
    wanted = sorted(set(unit_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        found.update(
            Unit.objects.select_for_update(no_key=True)
            .filter(pk__in=wanted[start : start + 5000])
            .order_by("pk")
            .values_list("pk", "path")
        )
    return found


def rewrite_prefix(queryset: QuerySet, field: str, old_prefix: str, new_prefix: str) -> int:
    """Replace ``old_prefix`` by ``new_prefix`` at the start of ``field``, in one ``UPDATE``
    of the rows of ``queryset`` whose ``field`` starts with it. Returns the rows changed."""
    return queryset.filter(**{f"{field}__startswith": old_prefix}).update(
        **{field: Concat(Value(new_prefix), Substr(field, len(old_prefix) + 1, Length(field)))}
    )


def place_new_unit(unit: Unit) -> None:
    """Give a unit just inserted (with a placeholder path) its real path, now that its id is
    known — never a move. (Bulk loaders choose ids first and insert the final paths.)"""
    parent = unit.parent
    parent_path = parent.path if parent is not None else ""
    unit.path = child_path(parent_path, unit.pk)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)


def move_subtree(*, unit_id: int, old_path: str, new_path: str, new_parent_id: int | None) -> None:
    """Move the unit ``unit_id`` (now at ``old_path``) and its whole subtree to ``new_path``,
    under ``new_parent_id`` (None: a root, by import only), and tell every app that copies
    unit paths.

    The caller has checked permission and cycles under :func:`lock_tree` (or the import's
    lock) and runs this inside its transaction. ``new_path`` may lie under a parent whose own
    move is still to come (the import moves the deepest subtrees first).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("A subtree move must run inside the caller's transaction.")
    own = f"{PATH_SEPARATOR}{unit_id}{PATH_SEPARATOR}"
    if not (old_path.endswith(own) and new_path.endswith(own)):
        raise ValueError(f"Paths {old_path!r} → {new_path!r} are not unit {unit_id}'s.")
    if new_path.startswith(old_path):
        raise ValueError(f"Unit {unit_id} cannot move into its own subtree ({new_path!r}).")
    delta = new_path.count(PATH_SEPARATOR) - old_path.count(PATH_SEPARATOR)
    # One statement for the whole subtree, the new parent included: a file moving thousands of
    # units pays one UPDATE per moved subtree (plus one per registered copy).
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + delta,
        parent_id=Case(
            When(pk=unit_id, then=Value(new_parent_id)),
            default=F("parent_id"),
            output_field=BigIntegerField(),
        ),
    )
    subtree_moved.send(sender=Unit, old_prefix=old_path, new_prefix=new_path)


# --- copies of unit paths ---------------------------------------------------------------------


@dataclass(frozen=True)
class PathCopy:
    """A field holding a copy of the path of the unit named by ``unit_field`` on the same row,
    kept in step on every move by ``receiver``."""

    model: str  # app_label.model_name, lower case
    field: str
    unit_field: str
    receiver: Callable[..., None]

    def stale(self) -> QuerySet:
        """Rows whose copy differs from their unit's path now (none, after any move)."""
        model = apps.get_model(self.model)
        return model._default_manager.exclude(**{self.field: F(f"{self.unit_field}__path")})


PATH_COPIES: dict[tuple[str, str], PathCopy] = {}

# Copies that record the path *at the time* and stay as written, with the reason.
HISTORICAL_PATH_COPIES: dict[tuple[str, str], str] = {
    ("core.auditentry", "scope_path"): (
        "An audit entry records who could see a change when it was made; entries are "
        "append-only (a PostgreSQL trigger refuses updates). The history of a moved unit "
        "follows it through its object id (core.selectors.object_history)."
    ),
}


def keeps_path_copy(model: str, field: str, *, unit_field: str = "unit"):
    """Register the decorated ``subtree_moved`` receiver as the one keeping ``model.field``
    (a copy of ``unit_field``'s path) in step, and connect it."""

    def register(receiver: Callable[..., None]) -> Callable[..., None]:
        key = (model.lower(), field)
        subtree_moved.connect(receiver, dispatch_uid=f"path-copy:{key[0]}.{field}")
        PATH_COPIES[key] = PathCopy(key[0], field, unit_field, receiver)
        return receiver

    return register


def is_connected(copy: PathCopy) -> bool:
    """Is ``copy``'s receiver still listening to ``subtree_moved``?"""
    sync, async_ = subtree_moved._live_receivers(Unit)
    return copy.receiver in (*sync, *async_)


def stale_path_copies() -> dict[tuple[str, str], list[int]]:
    """Registered copies that disagree with their unit's path, by field (empty when in step)."""
    found = {}
    for key, copy in PATH_COPIES.items():
        ids = list(copy.stale().values_list("pk", flat=True)[:20])
        if ids:
            found[key] = ids
    return found
