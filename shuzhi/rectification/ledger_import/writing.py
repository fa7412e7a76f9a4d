"""Writing the checked rows in bulk, with their notes, first status records and audit."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Max

from shuzhi.core import audit, bulk, clock
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree.models import Unit

from ..models import (
    LedgerImport,
    Problem,
    ProblemStatus,
)
from .checking import LedgerPlan
from .common import CHUNK


def _lock_units(unit_ids: set[int]) -> dict[int, str]:
    """Lock the rows of the units receiving items, in id order, as ``services.create_problem``
    locks its unit: nobody else draws a serial in these units, and no move rewrites their
    paths, until the import commits. Returns their paths as read under the lock."""
    # SQLite takes the database write lock when the transaction begins (IMMEDIATE mode).
    return tree.paths_to_copy(unit_ids)


# The tables an import writes; their own foreign keys are rebuilt after a very large load.
WRITTEN_TABLES = (
    "rectification_problem",
    "rectification_progressnote",
    "rectification_problemtransition",
)
_PROBLEM_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "unit_id",
    "unit_path",
    "year",
    "serial",
    "description",
    "source_id",
    "severity",
    "found_on",
    "recorded_by_id",
    "responsible_leader_name",
    "responsible_person_name",
    "responsible_department",
    "responsibility_kind",
    "measures",
    "deadline",
    "status",
    "status_changed_at",
    "verdict",
)
_NOTE_COLUMNS = ("problem_id", "on", "text", "author_id", "created_at")
_TRANSITION_COLUMNS = (
    "problem_id",
    "from_status",
    "to_status",
    "actor_id",
    "actor_label",
    "at",
    "reason",
)


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


def _copy_problems(plan: LedgerPlan, ids, serials: list[int], actor_id, now, report) -> None:
    """The items in COPY's text format, formatted straight from the plan's columns."""
    rows = plan.rows
    descriptions = bulk.copy_text(rows.column("description"))
    measures = bulk.copy_text(rows.column("measures"))
    leaders = bulk.copy_text(rows.column("leader"))
    persons = bulk.copy_text(rows.column("person"))
    departments = bulk.copy_text(rows.column("department"))
    stamp = now.isoformat()
    null = bulk.NULL
    recorded = null if actor_id is None else str(actor_id)
    year = plan.year
    unit_ids, paths, sources = plan.unit_ids, plan.unit_paths, plan.source_ids
    severities, found, deadlines = plan.severities, plan.found_on, plan.deadlines
    kinds, statuses = plan.kinds, plan.statuses
    bulk.copy_lines(
        "rectification_problem",
        _PROBLEM_COLUMNS,
        (
            f"{ids[i]}\t{stamp}\t{stamp}\t{unit_ids[i]}\t{paths[i]}\t{year}\t"
            f"{serials[i]}\t{descriptions[i]}\t{sources[i]}\t{severities[i]}\t"
            f"{found[i]}\t{recorded}\t{leaders[i]}\t{persons[i]}\t{departments[i]}\t"
            f"{kinds[i]}\t{measures[i]}\t{null if deadlines[i] is None else deadlines[i]}\t"
            f"{statuses[i]}\t{stamp}\t\n"
            for i in range(plan.total_rows)
        ),
        chunk=CHUNK,
        progress=report,
    )


def _insert_problems(plan: LedgerPlan, ids, serials: list[int], actor_id, now, report) -> None:
    """The items as rows for ``executemany`` (SQLite), in the columns of the COPY above."""
    rows = plan.rows
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    descriptions, measures = rows.column("description"), rows.column("measures")
    leaders, persons = rows.column("leader"), rows.column("person")
    departments = rows.column("department")
    bulk.insert_rows(
        "rectification_problem",
        _PROBLEM_COLUMNS,
        (
            (
                ids[i],
                stamp,
                stamp,
                plan.unit_ids[i],
                plan.unit_paths[i],
                plan.year,
                serials[i],
                descriptions[i],
                plan.source_ids[i],
                plan.severities[i],
                ops.adapt_datefield_value(plan.found_on[i]),
                actor_id,
                leaders[i],
                persons[i],
                departments[i],
                plan.kinds[i],
                measures[i],
                ops.adapt_datefield_value(plan.deadlines[i]),
                plan.statuses[i],
                stamp,
                "",
            )
            for i in range(plan.total_rows)
        ),
        progress=report,
    )


@dataclass
class LedgerOutcome:
    """What a finished import wrote."""

    created: int
    notes: int
    by_unit: dict[int, tuple[int, int, int]]  # unit id → (count, first serial, last serial)
    by_status: dict[str, int]
    updated: int = 0  # existing items changed by serial
    unchanged: int = 0  # existing items named by serial that the file left as they were


def write_plan(plan: LedgerPlan, *, actor, job: LedgerImport, progress=None) -> LedgerOutcome:
    """Write the checked rows with their notes, first status records and audit entries, inside the
    current transaction (after :func:`_lock_units`)."""
    now = clock.now()
    today = clock.today()
    user = actor if getattr(actor, "is_authenticated", False) else None
    actor_id = user.pk if user is not None else None
    label = ((getattr(user, "display_name", "") or user.get_username()) if user else "")[:150]
    serials = _serials(plan)
    n = plan.total_rows
    progress_texts = plan.rows.column("progress")
    with_note = [i for i in range(n) if progress_texts[i]]
    # Each item's history starts with its creation, as for one recorded by hand.
    reasons = {
        ProblemStatus.OPEN.value: f"导入台账（导入#{job.pk}）",
        ProblemStatus.IN_PROGRESS.value: f"导入台账，导入时已在整改中（导入#{job.pk}）",
        ProblemStatus.LONG_TERM.value: f"导入台账，完成时限为长期坚持（导入#{job.pk}）",
    }
    report = None if progress is None else (lambda done: progress.set(done_rows=done))
    ids = bulk.allocate_ids("rectification_problem", n)
    with bulk.suspend_foreign_keys(WRITTEN_TABLES, n):
        if bulk.uses_copy():
            _copy_problems(plan, ids, serials, actor_id, now, report)
            texts = bulk.copy_text(progress_texts)
            author = bulk.NULL if actor_id is None else str(actor_id)
            stamp = now.isoformat()
            bulk.copy_lines(
                "rectification_progressnote",
                _NOTE_COLUMNS,
                (f"{ids[i]}\t{today}\t{texts[i]}\t{author}\t{stamp}\n" for i in with_note),
            )
            who = bulk.copy_text([label])[0]
            bulk.copy_lines(
                "rectification_problemtransition",
                _TRANSITION_COLUMNS,
                (
                    f"{ids[i]}\t\t{status}\t{author}\t{who}\t{stamp}\t{reasons[status]}\n"
                    for i, status in enumerate(plan.statuses)
                ),
            )
        else:
            _insert_problems(plan, ids, serials, actor_id, now, report)
            ops = connection.ops
            at = ops.adapt_datetimefield_value(now)
            day = ops.adapt_datefield_value(today)
            bulk.insert_rows(
                "rectification_progressnote",
                _NOTE_COLUMNS,
                ((ids[i], day, progress_texts[i], actor_id, at) for i in with_note),
            )
            bulk.insert_rows(
                "rectification_problemtransition",
                _TRANSITION_COLUMNS,
                (
                    (ids[i], "", status, actor_id, label, at, reasons[status])
                    for i, status in enumerate(plan.statuses)
                ),
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
    audit.record_many(
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
