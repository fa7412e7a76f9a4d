"""Updating existing items by their serial (按序号更新): a ledger exported from the product,
edited and imported again changes the items it names instead of adding copies.

The differences are worked out while checking (reads only), so an item that cannot change —
closed, or carried into the next year — is a row error before anything is written; the
writing goes through ``services.update_problem``, one item at a time, with its permission
check, its lock and its audit entry, as an edit on the item's page.
"""

from __future__ import annotations

import datetime
from typing import Any

from .. import services
from ..models import Problem, ProblemSource, ProblemStatus

# Field key of the file → the item's field (and the keyword of ``services.update_problem``).
FIELDS = {
    "description": "description",
    "source": "source",
    "severity": "severity",
    "found_on": "found_on",
    "measures": "measures",
    "leader": "responsible_leader_name",
    "person": "responsible_person_name",
    "department": "responsible_department",
    "kind": "responsibility_kind",
    "deadline": "deadline",
}
# Fields an empty cell leaves as they are (the export omits them, or they have a default).
_KEPT_WHEN_EMPTY = {"description", "source", "severity", "found_on", "kind"}


def _row_values(plan: Any, i: int, present: list[str], codes: dict[int, str]) -> dict[str, Any]:
    rows = plan.rows
    values: dict[str, Any] = {}
    for key in present:
        text = rows.columns[key][i]
        if not text and key in _KEPT_WHEN_EMPTY:
            continue
        if key == "source":
            values["source"] = codes[plan.source_ids[i]]
        elif key == "severity":
            values["severity"] = plan.severities[i]
        elif key == "found_on":
            values["found_on"] = plan.found_on[i]
        elif key == "kind":
            values["responsibility_kind"] = plan.kinds[i]
        elif key == "deadline":
            values["deadline"] = plan.deadlines[i]
        else:
            values[FIELDS[key]] = text
    return values


def changes_of(plan: Any, good: list[int]) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """For the rows ``good`` that name an existing item: the fields that differ (row index →
    fields), and the rows whose item may no longer change (row index → reason)."""
    present = [key for key in FIELDS if key in plan.rows.columns]
    targets = {i: plan.targets[i] for i in good if plan.targets[i]}
    if not targets or not present:
        return {}, {}
    codes = dict(ProblemSource.objects.values_list("id", "code"))
    columns = [
        "id",
        "status",
        *(FIELDS[key] if key != "source" else "source_id" for key in present),
    ]
    current = {
        row["id"]: row for row in Problem.objects.filter(pk__in=targets.values()).values(*columns)
    }
    carried = set(
        Problem.objects.filter(carried_from_id__in=targets.values()).values_list(
            "carried_from_id", flat=True
        )
    )
    changes: dict[int, dict[str, Any]] = {}
    refused: dict[int, str] = {}
    for i, item_id in targets.items():
        item = current[item_id]
        wanted = _row_values(plan, i, present, codes)
        differ: dict[str, Any] = {}
        for name, value in wanted.items():
            now = codes.get(item["source_id"]) if name == "source" else item[name]
            if isinstance(now, datetime.date) or now is None or isinstance(value, datetime.date):
                same = now == value
            else:
                same = str(now) == str(value)
            if not same:
                differ[name] = value
        if not differ:
            continue
        if item["status"] == ProblemStatus.CLOSED:
            refused[i] = "该问题已销号，不能再修改（本行与系统中的内容不同）。"
        elif item_id in carried:
            refused[i] = "该问题已转入下一年度，请在新年度的台账中修改。"
        else:
            changes[i] = differ
    return changes, refused


def apply_updates(plan: Any, *, actor) -> int:
    """Write the planned changes through the service; answers how many items changed."""
    items = Problem.objects.in_bulk([plan.targets[i] for i in plan.changes])
    for i, fields in plan.changes.items():
        services.update_problem(actor=actor, problem=items[plan.targets[i]], **fields)
    return len(plan.changes)
