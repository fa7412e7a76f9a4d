"""Reads of the rectification ledger: the filtered list, the subtree summary, a unit's board and
a secretary's own work — fast over a national ledger of a million problems.

Every row reaches a user through ``Problem.objects.visible_to`` (the policies of this app);
every roll-up is one ``GROUP BY`` in SQL whose handful of result rows are folded in Python.
Nothing here writes.

Two choices keep the pages fast at national scale (see ``bench/ledger_pages.py``):

- the list is ordered newest first (``-id``), which the primary key serves for any filter that
  keeps a fair share of the rows, and the planner switches to the path or name indexes for the
  narrow ones;
- the list's count stops at :data:`COUNT_CAP` ("超过 10,000 条"): an exact count of a million
  rows costs more than the page itself, and nobody pages past ten thousand items — they narrow
  the filters instead;
- a text search is not counted at all (:class:`UncountedPage`): the trigram index finds the
  matching rows but cannot stop early, so even the capped count of a common word reads ten
  thousand rows (about 70 ms of SQL for "食品安全", more than the rest of the page together),
  while the page itself stops after ``page_size + 1`` rows (about 6 ms). The page shows
  "第 N 页" with 上一页 / 下一页 instead of a total.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import StrIndex, Substr

from shuzhi.accounts.models import Grant, Role
from shuzhi.core import clock
from shuzhi.cycles.models import RoundReporter
from shuzhi.kernel.scope import is_global, scopes_for
from shuzhi.orgs.tree.models import Unit

from . import extensions
from .models import (
    ACTIVE_STATUSES,
    Problem,
    ProblemSource,
    ProblemStatus,
    ProgressNote,
    Severity,
    overdue_q,
)

PAGE_SIZE = 30
# Counting stops here (see the module docstring).
COUNT_CAP = 10_000
# How far ahead "what is due next" looks.
DUE_SOON_DAYS = 30
# The summary lists at most this many child units (the largest first).
CHILD_ROWS = 100

ORDERINGS = {
    "new": ("-id",),
    # Items without a deadline last on both databases (SQLite would put them first).
    "deadline": (F("deadline").asc(nulls_last=True), "id"),
    "unit": ("unit_path", "serial", "id"),
}


@dataclass(frozen=True)
class LedgerFilters:
    """What the ledger list is narrowed to. Empty values mean "no filter"."""

    year: int | None = None
    source: str = ""  # ProblemSource.code
    status: str = ""  # ProblemStatus value
    severity: str = ""  # Severity value
    overdue: bool = False
    unit: Unit | None = None  # the subtree's root
    q: str = ""  # words in the description
    responsible: str = ""  # start of a responsible leader's or person's name
    order: str = "new"


def ledger_queryset(user, filters: LedgerFilters, *, today: datetime.date | None = None):
    """The problems ``user`` may see, narrowed by ``filters`` and ordered, units and sources
    joined for display (one query per page, however many rows)."""
    rows = Problem.objects.visible_to(user)
    if filters.year:
        rows = rows.filter(year=filters.year)
    if filters.source:
        # A subquery rather than a join, so the planner may use the source_id index.
        source_id = ProblemSource.objects.filter(code=filters.source).values("pk")[:1]
        rows = rows.filter(source_id=Subquery(source_id))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.severity:
        rows = rows.filter(severity=filters.severity)
    if filters.overdue:
        rows = rows.overdue(today or clock.today())
    if filters.unit is not None:
        rows = rows.in_subtree(filters.unit.path)
    for word in filters.q.split()[:5]:
        rows = rows.filter(description__icontains=word)
    if filters.responsible:
        name = filters.responsible
        rows = rows.filter(
            Q(responsible_person_name__startswith=name)
            | Q(responsible_leader_name__startswith=name)
        )
    ordering = ORDERINGS.get(filters.order, ORDERINGS["new"])
    return rows.select_related("unit", "source").order_by(*ordering)


class CappedPaginator(Paginator):
    """A paginator whose count stops at :data:`COUNT_CAP` (``capped`` tells when it did).

    Pages past the cap are not offered; the page says "超过 10,000 条，请缩小筛选范围".
    """

    object_list: QuerySet[Problem]
    cap = COUNT_CAP
    capped = False

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        # Only ``year`` is read (not the id), so an index holding it answers alone.
        rows = self.object_list.order_by().values("year")
        counted = rows[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = page_rows(self.object_list, bottom, self.per_page)
        # Django's hook for subclasses building their own page; django-stubs does not declare it.
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


def page_rows(rows: QuerySet[Problem], offset: int, limit: int) -> list[Problem]:
    """``rows[offset:offset + limit]`` with units and sources, read in two steps: the ids
    first (from the index, without joins), then those rows with their joins. A deep page
    otherwise joins every skipped row to its unit and source only to throw it away."""
    ids = list(rows.values_list("pk", flat=True)[offset : offset + limit])
    found = Problem.objects.select_related("unit", "source").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def page_rows_ahead(rows: QuerySet[Problem], offset: int, limit: int) -> tuple[list[Problem], bool]:
    """Like :func:`page_rows`, reading one id more to tell whether a next page exists (without
    counting): ``(rows, has_next)``. Two queries (one when nothing matches)."""
    ids = list(rows.values_list("pk", flat=True)[offset : offset + limit + 1])
    has_next = len(ids) > limit
    ids = ids[:limit]
    found = Problem.objects.select_related("unit", "source").in_bulk(ids) if ids else {}
    return [found[pk] for pk in ids if pk in found], has_next


@dataclass
class UncountedPage:
    """A page of a list whose total is not counted (a text search, see the module docstring):
    it knows its number and whether a next page exists, as a ``Page`` does, but no total.

    Pages stop at the same :data:`COUNT_CAP` rows as the counted list."""

    object_list: list[Problem]
    number: int
    has_next_page: bool
    counted = False

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.has_next_page

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def uncounted_page(rows: QuerySet[Problem], number, per_page: int) -> UncountedPage:
    """Page ``number`` of ``rows`` without a count: a missing or bad number is page 1, and no
    page starts past :data:`COUNT_CAP` rows (the last one allowed is served instead)."""
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    last = max(1, -(-COUNT_CAP // per_page))
    wanted = min(wanted, last)
    items, has_next = page_rows_ahead(rows, (wanted - 1) * per_page, per_page)
    return UncountedPage(items, wanted, has_next and wanted < last)


def counts_cheaply(filters: LedgerFilters) -> bool:
    """May the list of ``filters`` be counted? Not for a text search (the module docstring)."""
    return not filters.q.split()


def ledger_page(user, filters: LedgerFilters, number, *, per_page: int | None = None):
    """One page of the ledger: three queries (the capped count, the ids, the rows), or two for
    a text search, which is not counted (an :class:`UncountedPage`)."""
    rows = ledger_queryset(user, filters)
    if not counts_cheaply(filters):
        return uncounted_page(rows, number, per_page or PAGE_SIZE)
    paginator = CappedPaginator(rows, per_page or PAGE_SIZE)
    return paginator.get_page(number)


# --- the subtree summary ---------------------------------------------------------------------


@dataclass
class ChildRow:
    """The problems of one direct child's subtree (or of the chosen unit itself)."""

    unit: Unit
    own: bool  # True for the chosen unit's own items (本级)
    total: int = 0
    closed: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        return rectification_rate(self.closed, self.total)


@dataclass
class LedgerSummary:
    """Counts of a subtree's problems for one year, and of its reports in that year's rounds.

    ``rate`` is the rectification rate (整改率): items closed (已销号) divided by all items of
    the year in the subtree, whatever their source (items carried from last year included,
    since they are this year's work too). ``None`` when there are no items.
    """

    unit: Unit
    year: int
    total: int = 0
    closed: int = 0
    overdue: int = 0
    by_source: list[tuple[ProblemSource, int]] = field(default_factory=list)
    by_status: list[tuple[str, str, int]] = field(default_factory=list)  # value, label, n
    by_severity: list[tuple[str, str, int]] = field(default_factory=list)
    by_child: list[ChildRow] = field(default_factory=list)
    more_children: int = 0  # child units left out beyond CHILD_ROWS
    reports: dict[str, int] = field(default_factory=dict)  # report status → count

    @property
    def rate(self) -> float | None:
        return rectification_rate(self.closed, self.total)

    def chart_data(self) -> dict:
        """The numbers the summary's charts draw, for ``json_script``."""
        return {
            "by_source": [[s.name, n] for s, n in self.by_source],
            "by_status": [[label, n] for _v, label, n in self.by_status],
            "by_severity": [[label, n] for _v, label, n in self.by_severity],
            "by_child": [
                [("本级" if row.own else row.unit.name), row.total, row.closed, row.overdue]
                for row in self.by_child[:20]
            ],
        }


def rectification_rate(closed: int, total: int) -> float | None:
    """整改率 in per cent, one decimal: closed (已销号) over all items; ``None`` without items."""
    if not total:
        return None
    return round(closed * 100 / total, 1)


def _overdue_q(today: datetime.date) -> Q:
    return overdue_q(today)


def _child_key(path: str):
    """The path of the direct child of the unit at ``path`` that a row's unit lies under (or
    ``path`` itself for the unit's own rows), computed in SQL from ``unit_path``."""
    start = len(path) + 1
    rest = Substr("unit_path", start)
    return Substr("unit_path", 1, StrIndex(rest, Value("/")) + Value(start - 1))


def subtree_summary(
    user, unit: Unit, *, year: int, round_id: int | None = None, today=None
) -> LedgerSummary:
    """Counts of the problems of ``unit``'s subtree in ``year`` that ``user`` may see: by
    source, status, severity and direct child, overdue items and the rectification rate; and
    the reports of the subtree's units in the rounds of ``year`` (or only ``round_id``) by
    status.

    Four queries however large the subtree: the problems grouped by (child, source, status,
    severity) with the overdue ones counted; the sources; the child units; the reports by
    status.
    """
    today = today or clock.today()
    rows = Problem.objects.visible_to(user).in_subtree(unit.path).filter(year=year).order_by()
    summary = LedgerSummary(unit=unit, year=year)
    overdue_q = _overdue_q(today)
    # One pass over the subtree: at most (children + 1) × sources × statuses × severities
    # groups, folded here into the five breakdowns.
    # COUNT(year) rather than COUNT(id): every column read is in rect_problem_year_path_cover,
    # so PostgreSQL answers from the index alone.
    grouped = (
        rows.annotate(child=_child_key(unit.path))
        .values("child", "source_id", "status", "severity")
        .annotate(n=Count("year"), late=Count("year", filter=overdue_q))
    )
    by_source: dict[int, int] = {}
    by_status: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    by_child: dict[str, list[int]] = {}  # path → [total, closed, overdue]
    for row in grouped:
        n, late = row["n"], row["late"]
        summary.total += n
        summary.overdue += late
        by_source[row["source_id"]] = by_source.get(row["source_id"], 0) + n
        by_status[row["status"]] = by_status.get(row["status"], 0) + n
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + n
        child = by_child.setdefault(row["child"], [0, 0, 0])
        child[0] += n
        child[1] += n if row["status"] == ProblemStatus.CLOSED else 0
        child[2] += late
    summary.closed = by_status.get(ProblemStatus.CLOSED, 0)
    summary.by_status = [(v, str(label), by_status.get(v, 0)) for v, label in ProblemStatus.choices]
    summary.by_severity = [(v, str(label), by_severity.get(v, 0)) for v, label in Severity.choices]
    if by_source:
        summary.by_source = [
            (s, by_source[s.pk]) for s in ProblemSource.objects.filter(pk__in=list(by_source))
        ]
    largest = sorted(by_child.items(), key=lambda item: (-item[1][0], item[0]))
    summary.more_children = max(0, len(largest) - CHILD_ROWS)
    child_rows = largest[:CHILD_ROWS]
    units = {u.path: u for u in Unit.objects.filter(path__in=[path for path, _c in child_rows])}
    for path, (total, closed, late) in child_rows:
        found = units.get(path)
        if found is None:  # a unit moved between the two reads
            continue
        summary.by_child.append(
            ChildRow(
                unit=found,
                own=found.pk == unit.pk,
                total=total,
                closed=closed,
                overdue=late,
            )
        )
    summary.reports = report_counts(user, unit, year=year, round_id=round_id)
    return summary


def report_counts(user, unit: Unit, *, year: int, round_id: int | None = None) -> dict[str, int]:
    """Reports of the units in ``unit``'s subtree in the rounds of ``year`` by status, with
    ``total``; answered by the reports app, scoped by ``report.view``."""
    return extensions.side().report_counts(user, unit, year=year, round_id=round_id)


def default_unit(user) -> Unit | None:
    """The top of the user's first scope for ``problem.view`` (a root for superusers)."""
    if is_global(user):
        return Unit.objects.filter(depth=1).order_by("sort_order", "code").first()
    scopes = scopes_for(user, "problem.view")
    if not scopes:
        return None
    return Unit.objects.filter(path=scopes[0].path).first()


# --- a unit's public board (晒清单 / 晒进度) ------------------------------------------------


def latest_note_subquery():
    notes = ProgressNote.objects.filter(problem=OuterRef("pk")).order_by("-on", "-id")
    return Subquery(notes.values("text")[:1])


def board_rows(unit: Unit, *, year: int) -> QuerySet[Problem]:
    """The unit's own items of ``year`` for its public board, with the latest progress note,
    in ledger order (序号). The caller has checked ``may_view_unit``."""
    return (
        Problem.objects.filter(unit=unit, year=year)
        .select_related("source")
        .annotate(latest_note=latest_note_subquery())
        .order_by("serial", "id")
    )


def board_counts(unit: Unit, *, year: int, today=None) -> dict:
    """The unit's own items of ``year`` by status, overdue and the rate: one query."""
    today = today or clock.today()
    grouped = (
        Problem.objects.filter(unit=unit, year=year)
        .order_by()
        .values("status")
        .annotate(n=Count("year"), late=Count("year", filter=_overdue_q(today)))
    )
    by_status = {r["status"]: r["n"] for r in grouped}
    total = sum(by_status.values())
    closed = by_status.get(ProblemStatus.CLOSED, 0)
    return {
        "total": total,
        "closed": closed,
        "overdue": sum(r["late"] for r in grouped),
        "rate": rectification_rate(closed, total),
        "by_status": [(v, str(label), by_status.get(v, 0)) for v, label in ProblemStatus.choices],
    }


# --- a secretary's own work --------------------------------------------------------------------


def my_units(user) -> list[Unit]:
    """The units where ``user`` holds a grant (secretary grants first), for "my work"."""
    grants = (
        Grant.objects.filter(user=user, unit__status="active")
        .select_related("unit")
        .order_by("unit__depth", "unit__path")
    )
    units: list[Unit] = []
    for grant in sorted(grants, key=lambda g: g.role != Role.SECRETARY):
        if grant.unit not in units:
            units.append(grant.unit)
    return units


@dataclass
class MyWork:
    """What a secretary needs about their own unit: its lists, its report, the critiques of
    it and what is due next."""

    unit: Unit
    year: int
    counts: dict
    due_soon: list[Problem]
    overdue: list[Problem]
    report: object | None  # reports.Report
    reporter: object | None  # cycles.RoundReporter
    critiques: list
    report_due: datetime.date | None


def my_work(unit: Unit, *, year: int, today=None) -> MyWork:
    """Read the unit's lists and its latest report for ``year``: six queries. The caller has
    checked that the user may view the unit."""
    today = today or clock.today()
    counts = board_counts(unit, year=year, today=today)
    active = Problem.objects.filter(
        unit=unit, status__in=ACTIVE_STATUSES, deadline__isnull=False, carried_over=False
    )
    due_soon = list(
        active.filter(
            deadline__gte=today, deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
        )
        .select_related("source")
        .order_by("deadline", "id")[:20]
    )
    overdue = list(
        active.filter(deadline__lt=today).select_related("source").order_by("deadline", "id")[:20]
    )
    reporter = (
        RoundReporter.objects.filter(unit=unit, round__year__lte=year)
        .select_related("round", "report")
        .order_by("-round__year", "-id")
        .first()
    )
    report = getattr(reporter, "report", None) if reporter is not None else None
    critiques = []
    if reporter is not None:
        critiques = extensions.side().published_critiques(reporter)
    return MyWork(
        unit=unit,
        year=year,
        counts=counts,
        due_soon=due_soon,
        overdue=overdue,
        report=report,
        reporter=reporter,
        critiques=critiques,
        report_due=reporter.round.report_due if reporter is not None else None,
    )


def ledger_years(today=None) -> list[int]:
    """The years the filters offer: from five years back to next year, newest first."""
    this = (today or clock.today()).year
    return list(range(this + 1, this - 6, -1))
