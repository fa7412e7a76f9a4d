"""Writing the checked rows in bulk, with their notes, first status records and audit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from shuzhi.core import audit, clock
from shuzhi.orgs import tree
from shuzhi.orgs.importing.writing import _copy_text, _record_many
from shuzhi.orgs.models import Unit

from ..models import (
    LedgerImport,
    Problem,
    ProblemStatus,
    ProblemTransition,
    ProgressNote,
)
from .checking import LedgerPlan
from .common import (
    CHUNK,
    logger,
)


def _lock_units(unit_ids: set[int]) -> dict[int, str]:
    """Lock the rows of the units receiving items, in id order, as ``services.create_problem``
    locks its unit: nobody else draws a serial in these units, and no move rewrites their
    paths, until the import commits. Returns their paths as read under the lock."""
    # SQLite takes the database write lock when the transaction begins (IMMEDIATE mode).
    return tree.paths_to_copy(unit_ids)


def _allocate_ids(table: str, count: int) -> list[int] | range:
    """Take ``count`` ids from ``table``'s own sequence (PostgreSQL only)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
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


# The tables an import writes; their own foreign keys are rebuilt after a very large load.
WRITTEN_TABLES = (
    "rectification_problem",
    "rectification_progressnote",
    "rectification_problemtransition",
)


class _ForeignKeys:
    """Drop the written tables' own foreign keys for a very large load and re-create them after
    (the unit import's approach, ADR 0003): re-creating a key validates every row with one
    join, where keeping it checks each inserted row with a trigger at commit — for 100,000
    items and their records, more than the ``COPY`` itself. The drop needs an exclusive lock on
    the tables; when it cannot be had within a few seconds the load keeps the constraints."""

    def __init__(self) -> None:
        self.definitions: list[tuple[str, str, str]] = []

    def drop(self) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                    " FROM pg_constraint WHERE contype = 'f'"
                    " AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                    [list(WRITTEN_TABLES)],
                )
                definitions = cursor.fetchall()
                for table, name, _definition in definitions:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
        except Exception:
            logger.info("Ledger import keeps the foreign keys.", exc_info=True)
            return False
        self.definitions = definitions
        return True

    def restore(self) -> None:
        with connection.cursor() as cursor:
            for table, name, definition in self.definitions:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _serials(plan: LedgerPlan) -> list[int]:
    """The next serials within (unit, year), in file order after each unit's last one."""
    last: dict[int, int] = {}
    unit_ids = sorted(set(plan.unit_ids))
    for start in range(0, len(unit_ids), 5000):
        last.update(
            Problem.objects.filter(unit_id__in=unit_ids[start : start + 5000], year=plan.year)
            .order_by()
            .values("unit_id")
            .annotate(top=Max("serial"))
            .values_list("unit_id", "top")
        )
    serials = []
    for unit_id in plan.unit_ids:
        number = last.get(unit_id, 0) + 1
        last[unit_id] = number
        serials.append(number)
    return serials


_NULL = "\\N"


def _copy_problems(plan: LedgerPlan, ids, serials: list[int], actor_id, now, progress) -> None:
    rows = plan.rows
    descriptions = _copy_text(rows.column("description"))
    measures = _copy_text(rows.column("measures"))
    leaders = _copy_text(rows.column("leader"))
    persons = _copy_text(rows.column("person"))
    departments = _copy_text(rows.column("department"))
    stamp = now.isoformat()
    recorded = _NULL if actor_id is None else str(actor_id)
    year = plan.year
    columns = (
        "id, created_at, updated_at, unit_id, unit_path, year, serial, description, source_id,"
        " severity, found_on, recorded_by_id, responsible_leader_name,"
        " responsible_person_name, responsible_department, responsibility_kind, measures,"
        " deadline, status, status_changed_at, verdict"
    )
    unit_ids, paths, sources = plan.unit_ids, plan.unit_paths, plan.source_ids
    severities, found, deadlines = plan.severities, plan.found_on, plan.deadlines
    kinds, statuses = plan.kinds, plan.statuses
    n = plan.total_rows
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY rectification_problem ({columns}) FROM STDIN") as copy,
    ):
        for start in range(0, n, CHUNK):
            lines = []
            for i in range(start, min(n, start + CHUNK)):
                deadline = deadlines[i]
                status = statuses[i]
                lines.append(
                    f"{ids[i]}\t{stamp}\t{stamp}\t{unit_ids[i]}\t{paths[i]}\t{year}\t"
                    f"{serials[i]}\t{descriptions[i]}\t{sources[i]}\t{severities[i]}\t"
                    f"{found[i]}\t{recorded}\t{leaders[i]}\t{persons[i]}\t{departments[i]}\t"
                    f"{kinds[i]}\t{measures[i]}\t{_NULL if deadline is None else deadline}\t"
                    f"{status}\t{stamp}\t\n"
                )
            copy.write("".join(lines))
            if progress is not None:
                progress.set(done_rows=start + len(lines))


def _copy_rows(table: str, columns: str, lines: list[str]) -> None:
    if not lines:
        return
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(lines), CHUNK):
            copy.write("".join(lines[start : start + CHUNK]))


def _bulk_create(plan: LedgerPlan, serials: list[int], actor, now, progress) -> list[int]:
    """SQLite: ``bulk_create`` in batches; answers the new ids in file order."""
    rows = plan.rows
    columns = {key: rows.column(key) for key in ("description", "measures", "leader")}
    persons, departments = rows.column("person"), rows.column("department")
    ids: list[int] = []
    n = plan.total_rows
    for start in range(0, n, 2000):
        batch = [
            Problem(
                created_at=now,
                updated_at=now,
                unit_id=plan.unit_ids[i],
                unit_path=plan.unit_paths[i],
                year=plan.year,
                serial=serials[i],
                description=columns["description"][i],
                source_id=plan.source_ids[i],
                severity=plan.severities[i],
                found_on=plan.found_on[i],
                recorded_by=actor,
                responsible_leader_name=columns["leader"][i],
                responsible_person_name=persons[i],
                responsible_department=departments[i],
                responsibility_kind=plan.kinds[i],
                measures=columns["measures"][i],
                deadline=plan.deadlines[i],
                status=plan.statuses[i],
                status_changed_at=now,
            )
            for i in range(start, min(n, start + 2000))
        ]
        ids.extend(problem.pk for problem in Problem.objects.bulk_create(batch))
        if progress is not None:
            progress.set(done_rows=start + len(batch))
    return ids


@dataclass
class LedgerOutcome:
    """What a finished import wrote."""

    created: int
    notes: int
    by_unit: dict[int, tuple[int, int, int]]  # unit id → (count, first serial, last serial)
    by_status: dict[str, int]


def write_plan(plan: LedgerPlan, *, actor, job: LedgerImport, progress=None) -> LedgerOutcome:
    """Write the checked rows with their notes, first status records and audit entries, inside the
    current transaction (after :func:`_lock_units`)."""
    now = clock.now()
    today = clock.today()
    user = actor if getattr(actor, "is_authenticated", False) else None
    actor_id = user.pk if user is not None else None
    label = (getattr(user, "display_name", "") or user.get_username()) if user else ""
    serials = _serials(plan)
    n = plan.total_rows
    progress_texts = plan.rows.column("progress")
    with_note = [i for i in range(n) if progress_texts[i]]
    # Each item's history starts with its creation, as for one recorded by hand.
    reasons = {
        ProblemStatus.OPEN.value: f"导入台账（导入#{job.pk}）",
        ProblemStatus.IN_PROGRESS.value: f"导入台账，导入时已在整改中（导入#{job.pk}）",
    }
    if connection.vendor == "postgresql":
        foreign_keys: _ForeignKeys | None = None
        threshold = getattr(settings, "SHUZHI_IMPORT_REBUILD_FK_ROWS", 50_000)
        if threshold and n >= threshold:
            foreign_keys = _ForeignKeys()
            if not foreign_keys.drop():
                foreign_keys = None
        ids: Sequence[int] = _allocate_ids("rectification_problem", n)
        _copy_problems(plan, ids, serials, actor_id, now, progress)
        texts = _copy_text(progress_texts)
        author = _NULL if actor_id is None else str(actor_id)
        _copy_rows(
            "rectification_progressnote",
            'problem_id, "on", text, author_id, created_at',
            [f"{ids[i]}\t{today}\t{texts[i]}\t{author}\t{now.isoformat()}\n" for i in with_note],
        )
        who = _copy_text([label])[0]
        stamp = now.isoformat()
        _copy_rows(
            "rectification_problemtransition",
            "problem_id, from_status, to_status, actor_id, actor_label, at, reason",
            [
                f"{ids[i]}\t\t{status}\t{author}\t{who}\t{stamp}\t{reasons[status]}\n"
                for i, status in enumerate(plan.statuses)
            ],
        )
        if foreign_keys is not None:
            foreign_keys.restore()
    else:
        ids = _bulk_create(plan, serials, user, now, progress)
        ProgressNote.objects.bulk_create(
            [
                ProgressNote(problem_id=ids[i], on=today, text=progress_texts[i], author=user)
                for i in with_note
            ],
            batch_size=2000,
        )
        ProblemTransition.objects.bulk_create(
            [
                ProblemTransition(
                    problem_id=ids[i],
                    from_status="",
                    to_status=status,
                    actor=user,
                    actor_label=label[:150],
                    reason=reasons[status],
                )
                for i, status in enumerate(plan.statuses)
            ],
            batch_size=2000,
        )
    by_unit: dict[int, tuple[int, int, int]] = {}
    for unit_id, serial in zip(plan.unit_ids, serials, strict=True):
        count, low, high = by_unit.get(unit_id, (0, serial, serial))
        by_unit[unit_id] = (count + 1, min(low, serial), max(high, serial))
    outcome = LedgerOutcome(
        created=n,
        notes=len(with_note),
        by_unit=by_unit,
        by_status=dict(Counter(plan.statuses)),
    )
    _audit(plan, outcome, actor=actor, job=job)
    return outcome


def _audit(plan: LedgerPlan, outcome: LedgerOutcome, *, actor, job: LedgerImport) -> None:
    """One entry for the import; one summary entry per unit that received items."""
    audit.record(
        actor=actor,
        action="problem.import",
        obj=job,
        scope_path=job.unit.path,
        changes={
            "year": plan.year,
            "created": outcome.created,
            "units": len(outcome.by_unit),
            "notes": outcome.notes,
            "by_status": outcome.by_status,
        },
        note=job.original_name,
    )
    path_of = dict(zip(plan.unit_ids, plan.unit_paths, strict=True))
    unit_ids = list(outcome.by_unit)
    names: dict[int, str] = {}
    for start in range(0, len(unit_ids), 5000):
        chunk = unit_ids[start : start + 5000]
        names.update(Unit.objects.filter(pk__in=chunk).values_list("id", "name"))
    note = f"导入台账：{job.original_name}（导入#{job.pk}）"
    _record_many(
        actor=actor,
        entries=[
            {
                "action": "problem.import_unit",
                "object_type": Unit._meta.label_lower,
                "object_id": str(unit_id),
                "object_label": names.get(unit_id, "")[:255],
                "scope_path": path_of[unit_id],
                "changes": {"year": plan.year, "created": count, "serials": [low, high]},
                "note": note,
            }
            for unit_id, (count, low, high) in outcome.by_unit.items()
        ],
    )
