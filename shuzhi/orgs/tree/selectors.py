"""Reads of the organisation tree that the pages and the API share.

Every function takes the reading user and goes through ``Unit.objects.visible_to`` so that a
list never shows a unit outside the reader's scope. Each read is a fixed number of queries,
whatever the size of the tree: the tree browser must stay fast on a national tree of a million
units, so nothing here walks the tree in Python or loads a whole subtree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from shuzhi.core.models import AuditEntry
from shuzhi.core.selectors import object_id_int, register_object_locator
from shuzhi.kernel.scope import can_at, is_global, scopes_for
from shuzhi.orgs.people.models import Person, Post
from shuzhi.orgs.tree.models import Unit, UnitStatus, UnitType

CHILDREN_PAGE_SIZE = 200
SEARCH_LIMIT = 50
# Above this many characters a query is a code or name fragment, never a whole tree walk.
SEARCH_MAX_LENGTH = 100
# Sorts after every character a prefix can be followed by (the largest code point).
PREFIX_END = "\U0010ffff"


def _tree_rows(units: QuerySet[Unit], user, start: int = 0, stop: int | None = None) -> list[dict]:
    """Plain rows for tree items: what a ▸ line shows, without building model instances.

    The tree browser renders up to 200 items per request; dicts instead of models (and only
    the columns shown) keep that cheap in Python, which is where the time goes.
    """
    # Whether a ▸ is due: one EXISTS per row from the orgs_unit_children index, following the
    # reader's scope so a secretary does not get a ▸ that opens on nothing.
    visible_children = Unit.objects.visible_to(user).filter(parent=OuterRef("pk"))
    rows = list(
        units.annotate(has_children=Exists(visible_children)).values(
            "pk", "code", "name", "status", "has_children", type_name=F("type__name")
        )[start:stop]
    )
    for row in rows:
        row["status_label"] = (
            "" if row["status"] == UnitStatus.ACTIVE else UnitStatus(row["status"]).label
        )
    return rows


def tree_roots(user) -> list[dict]:
    """The top units of ``user``'s scope: the units of their grants, or the roots for superusers.

    Grants nested inside another grant of the same user are left out (their unit is already
    reachable from the outer one). Rows as :func:`_tree_rows` gives them.
    """
    units = Unit.objects.all()
    if is_global(user):
        units = units.filter(parent__isnull=True)
    else:
        ids = [int(s.path.strip("/").split("/")[-1]) for s in scopes_for(user, "unit.view")]
        if not ids:
            return []
        units = units.filter(pk__in=ids)
    return _tree_rows(units.order_by("sort_order", "code"), user)


@dataclass
class ChildrenPage:
    """A slice of a unit's children, and whether more follow."""

    units: list[dict]
    offset: int
    has_more: bool

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.units)


def children_page(
    user, unit: Unit, *, offset: int = 0, limit: int = CHILDREN_PAGE_SIZE
) -> ChildrenPage:
    """Up to ``limit`` visible children of ``unit`` from ``offset``, in one query.

    One extra row is fetched to learn whether there are more, so no COUNT over a unit with a
    hundred thousand children is needed.
    """
    offset = max(offset, 0)
    units = Unit.objects.visible_to(user).filter(parent=unit).order_by("sort_order", "code")
    rows = _tree_rows(units, user, offset, offset + limit + 1)
    return ChildrenPage(units=rows[:limit], offset=offset, has_more=len(rows) > limit)


@dataclass
class Crumb:
    """One ancestor in a breadcrumb trail; ``visible`` says whether it may be linked."""

    pk: int
    name: str
    visible: bool


def breadcrumbs(user, unit: Unit) -> list[Crumb]:
    """The ancestors of ``unit`` from the root down, read in one query from its path.

    Ancestors above the reader's scope are named but not linked: their pages would answer 404.
    """
    ids = unit.ancestor_ids
    if not ids:
        return []
    rows = Unit.objects.filter(pk__in=ids).values_list("pk", "name", "path", "depth")
    by_pk = {pk: (name, path, depth) for pk, name, path, depth in rows}
    trail = []
    for pk in ids:
        if pk in by_pk:
            name, path, depth = by_pk[pk]
            trail.append(Crumb(pk, name, can_at(user, "unit.view", path, depth)))
    return trail


def _trails(user, units: list[Unit]) -> dict[int, list[Crumb]]:
    """Breadcrumb trails of many units with a single query for all their ancestors."""
    wanted = {pk for unit in units for pk in unit.ancestor_ids}
    by_pk: dict[int, tuple[str, str, int]] = {}
    if wanted:
        rows = Unit.objects.filter(pk__in=wanted).values_list("pk", "name", "path", "depth")
        by_pk = {pk: (name, path, depth) for pk, name, path, depth in rows}
    trails = {}
    for unit in units:
        trail = []
        for pk in unit.ancestor_ids:
            if pk in by_pk:
                name, path, depth = by_pk[pk]
                trail.append(Crumb(pk, name, can_at(user, "unit.view", path, depth)))
        trails[unit.pk] = trail
    return trails


def _prefix_q(field_name: str, prefix: str) -> Q:
    return Q(
        **{
            f"{field_name}__gte": prefix,
            f"{field_name}__lt": prefix + PREFIX_END,
            f"{field_name}__startswith": prefix,
        }
    )


@dataclass
class SearchHit:
    unit: Unit
    trail: list[Crumb] = field(default_factory=list)


def search_units(user, query: str, *, limit: int = SEARCH_LIMIT) -> tuple[list[SearchHit], bool]:
    """Units whose code starts with ``query`` or whose name contains it, with their trails.

    Returns ``(hits, truncated)``. Code prefixes and name prefixes are answered from indexes
    first; the name-contains scan (which has no index to use) runs only when those did not
    already fill the page, and not at all for a code that matched codes. At most three
    queries for the units plus one for every trail.
    """
    query = query.strip()[:SEARCH_MAX_LENGTH]
    if not query:
        return [], False
    visible = Unit.objects.visible_to(user).select_related("type")
    found: dict[int, Unit] = {}

    def take(qs: QuerySet[Unit], *order: str) -> None:
        if len(found) > limit:
            return
        rows = qs.exclude(pk__in=list(found)).order_by(*order)[: limit + 1 - len(found)]
        for unit in rows:
            found[unit.pk] = unit

    # Prefixes as ranges, so the btree of the column answers them in order and the scan stops
    # at the page size; ``startswith`` keeps the match exact under any collation.
    take(visible.filter(_prefix_q("code", query)), "code")
    take(visible.filter(_prefix_q("name", query)), "name")
    # A code-like query that matched codes is a code search: names do not hold codes, and the
    # contains scan below is the one read with no index to serve it.
    if not (found and query.isascii() and query.isalnum()):
        # Without ORDER BY the scan stops as soon as it has a page of hits.
        take(visible.filter(name__contains=query))
    units = list(found.values())
    truncated = len(units) > limit
    units = units[:limit]
    trails = _trails(user, units)
    return [SearchHit(unit, trails[unit.pk]) for unit in units], truncated


def subtree_type_counts(user, unit: Unit) -> dict[int, int]:
    """``{type_id: number of units}`` in ``unit``'s subtree (itself included), in one query."""
    rows = (
        Unit.objects.visible_to(user)
        .filter(path__startswith=unit.path)
        .order_by()
        .values("type_id")
        .annotate(n=Count("pk"))
        .values_list("type_id", "n")
    )
    return dict(rows)


@dataclass
class SubtreeSummary:
    """Counts of a subtree by unit type and by level label, for a table."""

    by_type: list[tuple[UnitType, int]]
    by_level: list[tuple[str, int]]
    total: int


def subtree_summary(user, unit: Unit) -> SubtreeSummary:
    """Counts of ``unit``'s subtree by type and by level: one aggregate and one type lookup.

    The level of a type is fixed, so the per-level counts are sums of the per-type counts and
    need no second pass over the subtree.
    """
    counts = subtree_type_counts(user, unit)
    types = list(UnitType.objects.filter(pk__in=list(counts)))  # ordered by the type's own order
    by_type = [(t, counts[t.pk]) for t in types]
    levels: dict[str, int] = {}
    for t, n in by_type:
        levels[t.level_label] = levels.get(t.level_label, 0) + n
    return SubtreeSummary(
        by_type=by_type, by_level=list(levels.items()), total=sum(counts.values())
    )


def current_posts(unit: Unit, on: datetime.date | None = None) -> QuerySet[Post]:
    """Posts held in ``unit`` on ``on`` (today by default), with the person, in one query."""
    day = on or timezone.localdate()
    return (
        Post.objects.filter(unit=unit)
        .on(day)
        .select_related("person")
        .order_by("role", "-start_date")
    )


def unit_history(unit: Unit) -> QuerySet[AuditEntry]:
    """Audit entries about ``unit`` itself, newest first (the caller checks audit.view)."""
    return AuditEntry.objects.filter(object_type="orgs.unit", object_id=str(unit.pk)).order_by(
        "-at", "-id"
    )


def find_visible_by_code(user, code: str, action: str = "unit.view") -> Unit | None:
    """The unit with ``code`` if ``user`` may perform ``action`` on it, else None."""
    code = (code or "").strip()
    if not code:
        return None
    return Unit.objects.visible_to(user, action).filter(code=code).first()


def _unit_locator(object_id: str) -> tuple[str, int] | None:
    return Unit.objects.filter(pk=object_id_int(object_id)).values_list("path", "depth").first()


def _person_locator(object_id: str) -> tuple[str, int] | None:
    return (
        Person.objects.filter(pk=object_id_int(object_id))
        .values_list("unit__path", "unit__depth")
        .first()
    )


def register_audit_locators() -> None:
    """Scope the history of units and people by where they are now (called once at start)."""
    register_object_locator("orgs.unit", _unit_locator)
    register_object_locator("orgs.person", _person_locator)
