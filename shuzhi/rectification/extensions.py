"""What the reports app adds to the ledger's rules, without the ledger importing it.

Reports sit above the ledger in the import graph (docs/decisions/0012-import-layers.md):
critiques name problems and plans list them, so the reports app imports the ledger. A few of
the ledger's own decisions still depend on what those reports say — who may word a problem a
critique names, whether a problem already has work done on it in a report or a plan, and the
report counts beside the ledger's on its pages. The reports app answers them by registering a
:class:`ReportSide` at start (``ReportsConfig.ready``); until one is registered the ledger
answers as if no report, critique or plan existed.

Example: ``extensions.side().may_write_critique(actor, problem.critique)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _no_critic(actor: Any, critique: Any) -> bool:
    return False


def _no_work(problem: Any) -> str:
    return ""


def _nothing_to_drop(problem: Any) -> None:
    return None


def _no_reports(user: Any, unit: Any, *, year: int, round_id: int | None = None) -> dict[str, int]:
    return {"total": 0}


def _no_critiques(reporter: Any) -> list[Any]:
    return []


@dataclass(frozen=True)
class ReportSide:
    """The reports app's answers to the ledger's questions."""

    # May ``actor`` write ``critique`` (and so record, reword or remove the problems it names)?
    may_write_critique: Callable[[Any, Any], bool] = _no_critic
    # Why work counts as started on ``problem`` in a report or plan (a Chinese clause), or "".
    work_started: Callable[[Any], str] = _no_work
    # ``problem`` is being deleted: drop it from the plans still being drafted (in the
    # caller's transaction).
    problem_removed: Callable[[Any], None] = _nothing_to_drop
    # Reports of ``unit``'s subtree in ``year`` by status, with ``total``, as ``user`` sees them.
    report_counts: Callable[..., dict[str, int]] = _no_reports
    # The published critiques of one round reporter, each with ``named`` (problems it names).
    published_critiques: Callable[[Any], list[Any]] = _no_critiques


_side = ReportSide()


def register(report_side: ReportSide) -> None:
    """Install the reports app's answers (called once, from its AppConfig.ready)."""
    global _side
    _side = report_side


def side() -> ReportSide:
    """The answers in force."""
    return _side
