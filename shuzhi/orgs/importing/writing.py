"""Writing a checked plan in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shuzhi.core.models import AuditEntry

from .. import tree
from ..import_models import ImportJob
from ..models import (
    Unit,
    UnitStatus,
)
from ..tabular import (
    RowError,
)
from .common import (
    _COPY_ESCAPES,
    _COPY_SPECIAL,
    CHUNK,
    PATH_MAX_LENGTH,
    REBUILD_FK_DEFAULT,
    Existing,
    ImportOutcome,
    ImportRefused,
    UnitPlan,
    logger,
)
from .planning import _path_ids

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


def _allocate_ids(count: int) -> list[int] | range:
    """Take ``count`` ids for new units from the table's own sequence."""
    if not count:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Under the table lock nobody else inserts units, so the values come out
            # consecutive; reading only their bounds spares a million-row result. If they are
            # not consecutive after all, read them one by one.
            cursor.execute("SELECT pg_get_serial_sequence('orgs_unit', 'id')")
            sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT min(v), max(v), count(*) FROM ("
                " SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) AS s",
                [sequence, count],
            )
            low, high, taken = cursor.fetchone()
            if high - low + 1 == taken == count:
                return range(low, high + 1)
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite, under the write lock: continue after the highest id ever handed out.
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM orgs_unit")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'orgs_unit'")
        row = cursor.fetchone()
        if row is not None:
            highest = max(highest, row[0])
        return range(highest + 1, highest + 1 + count)


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


class _ForeignKeys:
    """Drop the unit table's own foreign keys for a very large load and re-create them after.

    Re-creating a foreign key validates every row with one join, where keeping it checks each
    inserted row with a trigger at commit — about ten times the cost for a national tree. The
    drop needs an exclusive lock on the table; when it cannot be had within a few seconds (or
    the database user may not alter the table) the load keeps the constraints instead.
    """

    def __init__(self) -> None:
        self.definitions: list[tuple[str, str]] = []

    def drop(self) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'orgs_unit'::regclass AND contype = 'f' ORDER BY conname"
                )
                definitions = cursor.fetchall()
                for name, _definition in definitions:
                    cursor.execute(f'ALTER TABLE orgs_unit DROP CONSTRAINT "{name}"')
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
        except Exception:
            logger.info("Import keeps the unit foreign keys (could not drop them).", exc_info=True)
            return False
        self.definitions = definitions
        return True

    def restore(self) -> None:
        with connection.cursor() as cursor:
            for name, definition in self.definitions:
                cursor.execute(f'ALTER TABLE orgs_unit ADD CONSTRAINT "{name}" {definition}')


_UNIT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "code",
    "name",
    "short_name",
    "path",
    "depth",
    "status",
    "status_date",
    "sort_order",
    "merged_into_id",
    "parent_id",
    "type_id",
)


def _copy_text(values: list[str]) -> list[str]:
    """Escape text for COPY's text format, when any value needs it."""
    if _COPY_SPECIAL.search("\x01".join(values)) is None:
        return values
    return [value.translate(_COPY_ESCAPES) for value in values]


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
    if connection.vendor == "postgresql":
        codes = _copy_text(rows.codes)
        names = _copy_text(rows.names)
        shorts = _copy_text(rows.shorts)
        stamp = now.isoformat()
        null = "\\N"
        tail = f"\tactive\t0\t{stamp}\t{stamp}\n"
        columns = (
            "id, code, name, short_name, path, depth, parent_id, type_id,"
            " status, sort_order, created_at, updated_at"
        )
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY orgs_unit ({columns}) FROM STDIN") as copy,
        ):
            for start in range(0, len(create), CHUNK):
                lines = []
                for i in create[start : start + CHUNK]:
                    path = paths[i]
                    parent = parent_ids[i]
                    lines.append(
                        f"{ids[i]}\t{codes[i]}\t{names[i]}\t{shorts[i]}\t{path}\t"
                        f"{path.count('/') - 1}\t{null if parent is None else parent}\t"  # type: ignore[union-attr]
                        f"{tids[i]}{tail}"
                    )
                copy.write("".join(lines))
                if progress is not None:
                    progress.set(processed_rows=start + len(lines))
        return
    sql = (
        "INSERT INTO orgs_unit (id, code, name, short_name, path, depth, parent_id, type_id,"
        " status, sort_order, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(create), 5000):
            batch = []
            for i in create[start : start + 5000]:
                path = paths[i]
                assert path is not None
                batch.append(
                    (
                        ids[i],
                        rows.codes[i],
                        rows.names[i],
                        rows.shorts[i],
                        path,
                        path.count("/") - 1,
                        parent_ids[i],
                        tids[i],
                        UnitStatus.ACTIVE.value,
                        0,
                        now,
                        now,
                    )
                )
            cursor.executemany(sql, batch)
            if progress is not None:
                progress.set(processed_rows=start + len(batch))


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


def _record_many(*, actor, entries: list[dict[str, Any]], batch_size: int = 2000) -> None:
    """Append many audit entries at once (same fields and actor label as ``audit.record``)."""
    if not entries:
        return
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = (getattr(user, "display_name", "") or user.get_username()) if user else ""
    AuditEntry.objects.bulk_create(
        (AuditEntry(actor=user, actor_label=label[:150], **entry) for entry in entries),
        batch_size=batch_size,
    )


def write_plan(
    plan: UnitPlan, *, actor, job: ImportJob, progress: JobProgress | None = None
) -> ImportOutcome:
    """Carry out ``plan`` inside the current transaction, with the audit entries."""
    now = timezone.now()
    rows = plan.rows
    new_ids = _allocate_ids(len(plan.create))
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

    foreign_keys = None
    threshold = getattr(settings, "SHUZHI_IMPORT_REBUILD_FK_ROWS", REBUILD_FK_DEFAULT)
    if connection.vendor == "postgresql" and threshold and len(plan.create) >= threshold:
        foreign_keys = _ForeignKeys()
        if not foreign_keys.drop():
            foreign_keys = None

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

    if foreign_keys is not None:
        foreign_keys.restore()

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
    _record_many(actor=actor, entries=entries)
