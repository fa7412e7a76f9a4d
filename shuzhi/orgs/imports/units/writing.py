"""Writing a checked plan in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from shuzhi.core import audit, bulk
from shuzhi.orgs.imports.models import ImportJob
from shuzhi.orgs.imports.tabular import RowError
from shuzhi.orgs.imports.units.common import (
    PATH_MAX_LENGTH,
    Existing,
    ImportOutcome,
    ImportRefused,
    UnitPlan,
)
from shuzhi.orgs.imports.units.planning import _path_ids
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree.models import Unit, UnitStatus

if TYPE_CHECKING:
    from shuzhi.core.progress import JobProgress

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _lock_units() -> None:
    """Keep other writers of the tree out until the import commits (readers carry on)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE orgs_unit IN SHARE ROW EXCLUSIVE MODE")
    # SQLite takes the database write lock when the transaction begins (transaction_mode
    # IMMEDIATE in the settings).


def _final_paths(plan: UnitPlan, ids: list[int | None]) -> list[str | None]:
    """Compute the final path of every good row in memory."""
    n = plan.total_rows
    paths: list[str | None] = [None] * n
    par_file = plan.par_file
    par_db = plan.par_db
    bad = plan.bad
    row_of_existing_id = plan.row_of_existing_id
    moves = bool(plan.moved)

    if plan.topological and not moves:
        # The national-load case: each parent's path is known before its children's.
        for i in range(n):
            if bad[i]:
                continue
            j = par_file[i]
            if j >= 0:
                paths[i] = f"{paths[j]}{ids[i]}/"
            else:
                unit = par_db[i]
                paths[i] = f"{unit[5] if unit is not None else '/'}{ids[i]}/"
        return paths

    def existing_path(unit: Existing) -> str:
        # An existing unit the file does not mention stays under its nearest ancestor that
        # the file does mention; only that ancestor's path may have changed.
        if not moves:
            return unit[5]
        old = unit[5]
        for ancestor_id in reversed(_path_ids(old)[:-1]):
            k = row_of_existing_id.get(ancestor_id)
            if k is not None:
                anchor = plan.existing[k]
                assert anchor is not None
                prefix = paths[k] or path_of(k)
                return prefix + old[len(anchor[5]) :]
        return old

    def path_of(start: int) -> str:
        walk = []
        v = start
        while True:
            walk.append(v)
            j = par_file[v]
            if j < 0 or paths[j] is not None:
                break
            v = j
        top = walk[-1]
        j = par_file[top]
        if j >= 0:
            base = paths[j]
        else:
            unit = par_db[top]
            base = existing_path(unit) if unit is not None else "/"
        assert base is not None
        for v in reversed(walk):
            base = f"{base}{ids[v]}/"
            paths[v] = base
        return base

    for i in range(n):
        if not bad[i] and paths[i] is None:
            path_of(i)
    return paths


# The columns a new unit is written with, in the order of the COPY lines below.
_INSERT_COLUMNS = (
    "id",
    "code",
    "name",
    "short_name",
    "path",
    "depth",
    "parent_id",
    "type_id",
    "status",
    "sort_order",
    "created_at",
    "updated_at",
)


def _insert_units(
    plan: UnitPlan,
    ids: list[int | None],
    paths: list[str | None],
    parent_ids: list[int | None],
    now,
    progress: JobProgress | None,
) -> None:
    """Insert the new units: COPY on PostgreSQL, executemany on SQLite."""
    rows = plan.rows
    tids = plan.type_ids
    create = plan.create
    report = None if progress is None else (lambda done: progress.set(processed_rows=done))
    if bulk.uses_copy():
        codes = bulk.copy_text(rows.codes)
        names = bulk.copy_text(rows.names)
        shorts = bulk.copy_text(rows.shorts)
        stamp = now.isoformat()
        null = bulk.NULL
        tail = f"\tactive\t0\t{stamp}\t{stamp}\n"
        bulk.copy_lines(
            "orgs_unit",
            _INSERT_COLUMNS,
            (
                f"{ids[i]}\t{codes[i]}\t{names[i]}\t{shorts[i]}\t{paths[i]}\t"
                f"{paths[i].count('/') - 1}\t"  # type: ignore[union-attr]
                f"{null if parent_ids[i] is None else parent_ids[i]}\t{tids[i]}{tail}"
                for i in create
            ),
            progress=report,
        )
        return
    active = UnitStatus.ACTIVE.value
    bulk.insert_rows(
        "orgs_unit",
        _INSERT_COLUMNS,
        (
            (
                ids[i],
                rows.codes[i],
                rows.names[i],
                rows.shorts[i],
                paths[i],
                paths[i].count("/") - 1,  # type: ignore[union-attr]
                parent_ids[i],
                tids[i],
                active,
                0,
                now,
                now,
            )
            for i in create
        ),
        progress=report,
    )


def _update_units(rows: list[tuple]) -> None:
    """Write (id, name, short_name, type_id, parent_id, updated_at) in one statement."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMPORARY TABLE orgs_unit_import ("
                " id bigint PRIMARY KEY, name varchar(100), short_name varchar(50),"
                " type_id bigint, parent_id bigint, updated_at timestamptz"
                ") ON COMMIT DROP"
            )
            with cursor.copy(
                "COPY orgs_unit_import (id, name, short_name, type_id, parent_id, updated_at) "
                "FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                "UPDATE orgs_unit AS u SET name = t.name, short_name = t.short_name,"
                " type_id = t.type_id, parent_id = t.parent_id, updated_at = t.updated_at"
                " FROM orgs_unit_import AS t WHERE u.id = t.id"
            )
            cursor.execute("DROP TABLE orgs_unit_import")
            return
        cursor.executemany(
            "UPDATE orgs_unit SET name = %s, short_name = %s, type_id = %s, parent_id = %s,"
            " updated_at = %s WHERE id = %s",
            [(r[1], r[2], r[3], r[4], r[5], r[0]) for r in rows],
        )


def _common_scope(paths: Iterable[str]) -> str:
    """The path of the deepest unit above all ``paths`` ('' when they span several roots)."""
    low = high = None
    for path in paths:
        if low is None or path < low:
            low = path
        if high is None or path > high:
            high = path
    if low is None or high is None:
        return ""
    size = 0
    for a, b in zip(low, high, strict=False):
        if a != b:
            break
        size += 1
    prefix = low[:size]
    prefix = prefix[: prefix.rfind("/") + 1]
    return "" if prefix == "/" else prefix


def write_plan(
    plan: UnitPlan, *, actor, job: ImportJob, progress: JobProgress | None = None
) -> ImportOutcome:
    """Carry out ``plan`` inside the current transaction, with the audit entries."""
    now = timezone.now()
    rows = plan.rows
    new_ids = bulk.allocate_ids("orgs_unit", len(plan.create))
    ids: list[int | None] = [unit[0] if unit is not None else None for unit in plan.existing]
    for i, new_id in zip(plan.create, new_ids, strict=True):
        ids[i] = new_id
    paths = _final_paths(plan, ids)

    too_deep = [i for i in (*plan.create, *plan.moved) if len(paths[i] or "") > PATH_MAX_LENGTH]
    if too_deep:
        raise ImportRefused(
            [
                RowError(
                    rows.numbers[i],
                    "parent_code",
                    f"层级过深：组织路径超过 {PATH_MAX_LENGTH} 个字符。",
                )
                for i in sorted(too_deep)
            ]
        )

    par_db = plan.par_db
    parent_ids: list[int | None] = [ids[j] if j >= 0 else None for j in plan.par_file]
    for i, unit in enumerate(par_db):
        if unit is not None:
            parent_ids[i] = unit[0]

    # A national load goes in with the table's own foreign keys dropped and re-created after
    # (one validating join instead of two trigger checks per row; ADR 0003).
    with bulk.suspend_foreign_keys(["orgs_unit"], len(plan.create)):
        _insert_units(plan, ids, paths, parent_ids, now, progress)

        _update_units(
            [
                (ids[i], rows.names[i], rows.shorts[i], plan.type_ids[i], parent_ids[i], now)
                for i in plan.update
            ]
        )

    # Deepest first, so a moved unit inside a moved subtree is rewritten before its ancestor.
    for i in sorted(plan.moved, key=lambda k: -len(plan.existing[k][5])):  # type: ignore[index]
        unit = plan.existing[i]
        new_path = paths[i]
        assert unit is not None and new_path is not None
        tree.move_subtree(
            unit_id=unit[0], old_path=unit[5], new_path=new_path, new_parent_id=parent_ids[i]
        )

    _audit_updates(plan, actor=actor, job=job, ids=ids, paths=paths)
    if progress is not None:
        progress.set(processed_rows=plan.total_rows)
    touched = [paths[i] or "" for i in (*plan.create, *plan.update)]
    touched.extend(plan.existing[i][5] for i in plan.moved)  # type: ignore[index]
    return ImportOutcome(
        total_rows=plan.total_rows,
        created=len(plan.create),
        updated=len(plan.update),
        unchanged=plan.unchanged,
        errors=plan.errors,
        scope_path=_common_scope(touched),
    )


def _audit_updates(
    plan: UnitPlan, *, actor, job: ImportJob, ids: list[int | None], paths: list[str | None]
) -> None:
    """One entry per updated unit, before → after; created units are counted on the job."""
    if not plan.update:
        return
    old_parent_ids = {plan.existing[i][4] for i in plan.moved}  # type: ignore[index]
    old_parent_ids.discard(None)
    parent_names: dict[int, str] = {}
    wanted = list(old_parent_ids)
    for start in range(0, len(wanted), 5000):
        parent_names.update(
            Unit.objects.filter(pk__in=wanted[start : start + 5000]).values_list("id", "name")
        )
    entries = []
    note = f"导入文件：{job.file_name}（导入#{job.pk}）"
    for i in plan.update:
        unit = plan.existing[i]
        assert unit is not None
        changes: dict[str, list[Any]] = {}
        if unit[1] != plan.rows.names[i]:
            changes["name"] = [unit[1], plan.rows.names[i]]
        if unit[2] != plan.rows.shorts[i]:
            changes["short_name"] = [unit[2], plan.rows.shorts[i]]
        if unit[3] != plan.type_ids[i]:
            changes["type"] = [plan.type_names.get(unit[3]), plan.type_names.get(plan.type_ids[i])]
        if i in plan.moved:
            j = plan.par_file[i]
            parent_db = plan.par_db[i]
            if j >= 0:
                new_parent: str | None = plan.rows.names[j]
            elif parent_db is not None:
                new_parent = parent_db[1]
            else:
                new_parent = None
            changes["parent"] = [parent_names.get(unit[4]) if unit[4] else None, new_parent]
        entries.append(
            {
                "action": "unit.update",
                "object_type": Unit._meta.label_lower,
                "object_id": str(ids[i]),
                "object_label": plan.rows.names[i][:255],
                "scope_path": paths[i] or unit[5],
                "changes": changes,
                "note": note,
            }
        )
    audit.record_many(actor=actor, entries=entries)
