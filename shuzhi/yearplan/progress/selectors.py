"""Reads for progress: which tasks a unit answers for, and the host's matrix tasks × units.

The matrix costs a fixed number of queries whatever the size of the page: the tasks (with
their unit types), the count and the page of units (sorted and filtered in SQL), the page's
reports at the checkpoint, the page's automatic facts (two aggregates over the ledger and the
report deadlines, only when a task reads them), the latest notice per cell, and the roll-up by
task over the whole scope (one aggregate). Cells are judged in Python from those rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from shuzhi.assessment.indicators.scoring import UnitFacts
from shuzhi.core import clock
from shuzhi.orgs.tree.models import Unit, UnitStatus
from shuzhi.rectification.models import Problem, ProblemStatus, overdue_q
from shuzhi.yearplan.keytasks.models import KeyTask, ListStatus, TaskList, TaskSource

from .models import CellState, ProgressNotice, ProgressReport
from .rules import judge

STATES = [s.value for s in CellState]
LABELS = {value: str(label) for value, label in CellState.choices}


def applicable_tasks(unit: Unit, year: int) -> list[KeyTask]:
    """The published tasks ``unit`` answers for in ``year``: the tasks of its ancestors' lists
    that apply to its type, where a nearer list's derived task replaces its parent task."""
    ancestor_ids = [int(p) for p in unit.path.split("/") if p][:-1]
    tasks = list(
        KeyTask.objects.filter(
            task_list__host_id__in=ancestor_ids,
            task_list__year=year,
            task_list__status=ListStatus.PUBLISHED,
        )
        .select_related("task_list__host")
        .prefetch_related("applies_to")
        .order_by("-task_list__host__depth", "sort_order", "id")
    )
    replaced = {t.derived_from_id for t in tasks if t.derived_from_id}
    return [
        t
        for t in tasks
        if t.pk not in replaced and any(ut.pk == unit.type_id for ut in t.applies_to.all())
    ]


def ledger_facts(unit_ids: list[int], year: int) -> dict[int, UnitFacts]:
    """The ledger's facts of each unit for ``year`` in one aggregate (the same definitions as
    the indicators' automatic items: closed items, and 逾期 by ``overdue_q``)."""
    if not unit_ids:
        return {}
    rows = (
        Problem.objects.filter(unit_id__in=unit_ids, year=year)
        .order_by()
        .values("unit_id")
        .annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(status=ProblemStatus.CLOSED)),
            overdue=Count("id", filter=overdue_q(clock.today())),
        )
        .values_list("unit_id", "total", "closed", "overdue")
    )
    facts = {unit_id: UnitFacts() for unit_id in unit_ids}
    for unit_id, total, closed, overdue in rows:
        facts[unit_id] = UnitFacts(problems=total, closed=closed, overdue=overdue)
    return facts


def automatic_value(task: KeyTask, facts: UnitFacts | None) -> Decimal | None:
    """The value of an automatic task read from data Shuzhi holds (None for manual ones)."""
    if facts is None or task.source == TaskSource.MANUAL:
        return None
    if task.source == TaskSource.RECT_RATE:
        if not facts.problems:
            return Decimal("100")
        return (Decimal(facts.closed) * 100 / Decimal(facts.problems)).quantize(Decimal("0.1"))
    return Decimal(facts.overdue)


@dataclass(slots=True)
class Cell:
    """One task × unit cell: its state, the figure shown, the report and the latest notice."""

    state: str
    figure: str = ""
    report_id: int | None = None
    note: str = ""
    automatic: bool = False
    notice: str = ""
    applies: bool = True

    @property
    def label(self) -> str:
        return LABELS[self.state] if self.applies else "不适用"


@dataclass
class Row:
    unit: Unit
    cells: list[Cell]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Matrix:
    task_list: TaskList
    checkpoint: datetime.date
    tasks: list[KeyTask]
    rows: list[Row]
    total_units: int
    by_task: list[dict[str, int]]
    checkpoints: list[datetime.date]


def checkpoints_of(tasks: list[KeyTask], year: int) -> list[datetime.date]:
    dates: set[datetime.date] = set()
    for task in tasks:
        dates.update(task.checkpoint_dates(year))
    return sorted(dates)


def _figure(task: KeyTask, value: Decimal | None) -> str:
    if value is None:
        return ""
    if value == value.to_integral_value():
        return f"{int(value)}{task.target_unit}"
    return f"{value.normalize():f}{task.target_unit}"


def scope_units(task_list: TaskList, user, *, types: set[int], under: Unit | None = None):
    """The units of the list's scope ``user`` may see: below the host (or ``under``), active,
    of a type one of its tasks applies to."""
    root = under or task_list.host
    return (
        Unit.objects.visible_to(user)
        .filter(path__startswith=root.path, status=UnitStatus.ACTIVE, type_id__in=types)
        .exclude(pk=task_list.host_id)
    )


def matrix(
    task_list: TaskList,
    user,
    *,
    checkpoint: datetime.date | None = None,
    under: Unit | None = None,
    q: str = "",
    only: str = "",
    sort: str = "",
    offset: int = 0,
    limit: int = 50,
) -> Matrix:
    """The progress matrix of ``task_list`` at ``checkpoint`` for one page of units.

    ``only``: keep units with at least one cell in that state (``behind``, ``done`` …, or
    ``not_started`` for units with a manual task unreported). ``sort``: ``behind`` (most
    behind first), ``name``, or the tree order by default.
    """
    tasks = list(task_list.tasks.prefetch_related("applies_to"))
    year = task_list.year
    dates = checkpoints_of(tasks, year)
    if checkpoint is None:
        checkpoint = dates[0] if dates else datetime.date(year, 6, 30)
    applies = {t.pk: {ut.pk for ut in t.applies_to.all()} for t in tasks}
    types = set().union(*applies.values()) if applies else set()
    units = scope_units(task_list, user, types=types, under=under)
    if q:
        units = units.filter(Q(name__icontains=q) | Q(code__startswith=q))
    here = ProgressReport.objects.filter(
        unit=OuterRef("pk"), task__task_list=task_list, checkpoint=checkpoint
    )
    manual = [t.pk for t in tasks if t.source == TaskSource.MANUAL]
    if only == CellState.NOT_STARTED:
        reported = (
            here.filter(task_id__in=manual)
            .order_by()
            .values("unit")
            .annotate(n=Count("id"))
            .values("n")
        )
        units = units.annotate(
            reported=Coalesce(Subquery(reported, output_field=IntegerField()), Value(0))
        ).filter(reported__lt=len(manual))
    elif only in (CellState.BEHIND, CellState.DONE, CellState.ON_TRACK):
        units = units.filter(Exists(here.filter(state=only)))
    if sort == "behind":
        behind = (
            here.filter(state=CellState.BEHIND)
            .order_by()
            .values("unit")
            .annotate(n=Count("id"))
            .values("n")
        )
        units = units.annotate(
            behind=Coalesce(Subquery(behind, output_field=IntegerField()), Value(0))
        ).order_by("-behind", "path")
    elif sort == "name":
        units = units.order_by("name", "code")
    else:
        units = units.order_by("path")
    total = units.count()
    page = list(units.select_related("type")[offset : offset + limit])
    ids = [u.pk for u in page]
    reports = {
        (task_id, unit_id): (pk, value, state, note)
        for pk, task_id, unit_id, value, state, note in ProgressReport.objects.filter(
            task__task_list=task_list, checkpoint=checkpoint, unit_id__in=ids
        ).values_list("id", "task_id", "unit_id", "value", "state", "note")
    }
    facts = ledger_facts(ids, year) if any(t.source != TaskSource.MANUAL for t in tasks) else {}
    notices: dict[tuple[int | None, int], str] = {}
    for n in (
        ProgressNotice.objects.filter(task_list=task_list, unit_id__in=ids)
        .order_by("created_at", "id")
        .values("task_id", "unit_id", "level_name")
    ):
        notices[(n["task_id"], n["unit_id"])] = n["level_name"]  # the latest wins
    rows = []
    # Per task, what every cell of its column needs, read once.
    columns = [
        (task, task.pk, applies[task.pk], task.source != TaskSource.MANUAL) for task in tasks
    ]
    auto_cache: dict[tuple[int, Decimal | None], str] = {}
    for unit in page:
        cells = []
        counts = dict.fromkeys(STATES, 0)
        unit_notice = notices.get((None, unit.pk), "")
        for task, task_pk, types_of_task, automatic in columns:
            if unit.type_id not in types_of_task:
                cells.append(Cell(CellState.NOT_STARTED, applies=False))
                continue
            notice = notices.get((task_pk, unit.pk)) or unit_notice
            if automatic:
                value = automatic_value(task, facts.get(unit.pk))
                state = auto_cache.get((task_pk, value))
                if state is None:
                    state = auto_cache[(task_pk, value)] = judge(
                        target_kind=task.target_kind,
                        source=task.source,
                        target_value=task.target_value,
                        target_date=task.target_date,
                        checkpoint=checkpoint,
                        value=value,
                        reported=None,
                    )
                cell = Cell(state, _figure(task, value), automatic=True, notice=notice)
            else:
                report = reports.get((task_pk, unit.pk))
                if report is None:
                    cell = Cell(CellState.NOT_STARTED, notice=notice)
                else:
                    pk, value, state, note = report
                    cell = Cell(state, _figure(task, value), report_id=pk, note=note, notice=notice)
            counts[cell.state] += 1
            cells.append(cell)
        rows.append(Row(unit=unit, cells=cells, counts=counts))
    return Matrix(
        task_list=task_list,
        checkpoint=checkpoint,
        tasks=tasks,
        rows=rows,
        total_units=total,
        by_task=_by_task(task_list, tasks, user, applies, checkpoint, under),
        checkpoints=dates,
    )


def _by_task(task_list, tasks, user, applies, checkpoint, under) -> list[dict[str, int]]:
    """Per task over the whole scope: units it applies to, and reports by state (one query
    for the reports, one for the applicable unit counts by type)."""
    all_types = set().union(*applies.values()) if applies else set()
    scope = scope_units(task_list, user, types=all_types, under=under)
    by_type = dict(
        scope.order_by().values("type_id").annotate(n=Count("id")).values_list("type_id", "n")
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    for row in (
        ProgressReport.objects.filter(
            task__task_list=task_list, checkpoint=checkpoint, unit__in=scope
        )
        .order_by()
        .values("task_id", "state")
        .annotate(n=Count("id"))
    ):
        counts[row["task_id"]][row["state"]] += row["n"]
    result = []
    for task in tasks:
        c = dict(counts[task.pk])
        c["units"] = sum(by_type.get(t, 0) for t in applies[task.pk])
        reported = c[CellState.ON_TRACK] + c[CellState.BEHIND] + c[CellState.DONE]
        c[CellState.NOT_STARTED] = (
            max(c["units"] - reported, 0) if task.source == TaskSource.MANUAL else 0
        )
        c["automatic"] = task.source != TaskSource.MANUAL
        result.append(c)
    return result


def unit_progress(
    unit: Unit, year: int, checkpoint: datetime.date
) -> list[tuple[KeyTask, dict | None]]:
    """The tasks ``unit`` answers for with its report at ``checkpoint`` (None when none)."""
    tasks = applicable_tasks(unit, year)
    reports = {
        r.task_id: r
        for r in ProgressReport.objects.filter(
            unit=unit, checkpoint=checkpoint, task__in=[t.pk for t in tasks]
        )
    }
    return [(t, reports.get(t.pk)) for t in tasks]
