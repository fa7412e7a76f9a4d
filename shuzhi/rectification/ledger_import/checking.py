"""Checking every row against the file and the database."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from shuzhi.core import clock
from shuzhi.kernel.scope import is_global, scopes_for
from shuzhi.orgs.imports.tabular import RowError
from shuzhi.orgs.tree.models import Unit, UnitStatus

from ..models import (
    DESCRIPTION_MAX_LENGTH,
    Problem,
    ProblemSource,
    ProblemStatus,
    ResponsibilityKind,
    Severity,
)
from . import layout
from .common import (
    _SPACE,
    DEPARTMENT_MAX,
    HEADER_OF,
    KIND_OF,
    LEADER_MAX,
    NOTE_MAX,
    PERSON_MAX,
    REFUSED_STATUS_LABELS,
    SEVERITY_OF,
    ImportRefused,
    status_value,
)
from .dates import is_long_term, parse_date
from .reading import LedgerRows
from .units import NameMatch, UnitInfo, match_names, units_by, unresolved_message
from .updating import changes_of


def _source_lookup() -> dict[str, int]:
    """Active sources by name, code and each part of a name such as 专项督察/督查."""
    lookup: dict[str, int] = {}
    parts: Counter[str] = Counter()
    sources = list(ProblemSource.objects.filter(is_active=True).values_list("id", "code", "name"))
    for _id, _code, name in sources:
        parts.update({part for part in name.split("/") if part})
    for source_id, code, name in sources:
        for part in name.split("/"):
            if part and parts[part] == 1:
                lookup.setdefault(part, source_id)
        lookup[code] = source_id
        lookup[name] = source_id
    return lookup


@dataclass
class LedgerPlan:
    """The checked rows, ready to write: one entry per row in file order."""

    rows: LedgerRows
    year: int
    errors: list[RowError]
    warnings: list[str]
    unit_ids: list[int]
    unit_paths: list[str]
    source_ids: list[int]
    severities: list[str]
    found_on: list[datetime.date]
    deadlines: list[datetime.date | None]
    kinds: list[str]
    statuses: list[str]
    # Update by serial: the existing item each row updates (0: a new item).
    targets: list[int] = field(default_factory=list)
    names: NameMatch = field(default_factory=NameMatch)
    # Update by serial: row index → the fields that change (see ``updating``).
    changes: dict[int, dict] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return len(self.rows)

    @property
    def updating(self) -> int:
        """Rows naming an existing item (changed or not)."""
        return sum(1 for target in self.targets if target)

    def new_items(self) -> LedgerPlan:
        """The plan of the rows that add items (those naming an existing item left out)."""
        keep = [i for i, target in enumerate(self.targets) if not target]
        if len(keep) == self.total_rows:
            return self

        def pick(values: list) -> list:
            return [values[i] for i in keep]

        rows = LedgerRows(
            numbers=pick(self.rows.numbers),
            columns={key: pick(values) for key, values in self.rows.columns.items()},
            header=self.rows.header,
            layout=self.rows.layout,
            header_number=self.rows.header_number,
        )
        return LedgerPlan(
            rows=rows,
            year=self.year,
            errors=self.errors,
            warnings=self.warnings,
            unit_ids=pick(self.unit_ids),
            unit_paths=pick(self.unit_paths),
            source_ids=pick(self.source_ids),
            severities=pick(self.severities),
            found_on=pick(self.found_on),
            deadlines=pick(self.deadlines),
            kinds=pick(self.kinds),
            statuses=pick(self.statuses),
            targets=[0] * len(keep),
        )


def plan_ledger(
    rows: LedgerRows,
    *,
    actor,
    scope: Unit,
    year: int,
    picks: dict[str, int] | None = None,
    update: bool = False,
) -> LedgerPlan:
    """Check every row against the file and the database.

    ``picks`` are the units the user chose in the preview for names that fit several units or
    none; with ``update``, a row whose 序号 is an existing item of its unit and year updates
    that item instead of adding one. Reads only: :func:`write_plan` locks the units and draws
    the serials.
    """
    n = len(rows)
    numbers = rows.numbers
    errors: list[RowError] = []
    warnings: list[str] = []
    bad = bytearray(n)
    today = clock.today()

    def fail(i: int, key: str, message: str) -> None:
        bad[i] = 1
        errors.append(RowError(numbers[i], HEADER_OF[key], message))

    if n == 0:
        raise ImportRefused([RowError(0, "", "文件中没有数据行。")])
    absent = layout.missing_message(rows.keys, [c.title for c in rows.layout])
    if absent:
        raise ImportRefused([RowError(0, "", absent)])

    # Units: by code, else by name within the scope; a file without either is the scope's own.
    own_ledger = "unit_code" not in rows.columns and "unit_name" not in rows.columns
    codes = rows.column("unit_code")
    names = rows.column("unit_name")
    by_code: dict[str, UnitInfo] = {
        row[0]: row[1:] for row in units_by("code", {c for c in codes if c})
    }
    match = match_names(
        {names[i] for i in range(n) if names[i] and not codes[i]}, scope, picks or {}
    )
    own: UnitInfo = (scope.pk, scope.path, scope.depth, scope.status, scope.name, scope.short_name)
    everywhere = is_global(actor)
    import_scopes = [] if everywhere else scopes_for(actor, "problem.import")
    unit_ids = [0] * n
    unit_paths = [""] * n
    status_label = dict(UnitStatus.choices)
    for i in range(n):
        code, name = codes[i], names[i]
        unit: UnitInfo | None
        if own_ledger:
            unit = own
        elif code:
            unit = by_code.get(code)
            if unit is None:
                fail(i, "unit_code", f"组织代码“{code}”在系统中不存在。")
                continue
            if name and name not in (unit[4], unit[5]) and match.found.get(name) != unit:
                fail(i, "unit_name", f"单位名称“{name}”与组织代码“{code}”（{unit[4]}）不一致。")
                continue
        elif name:
            unit = match.found.get(name)
            if unit is None:
                fail(i, "unit_name", unresolved_message(name, scope, match))
                continue
        else:
            fail(i, "unit_code", "组织代码和单位名称不能都为空。")
            continue
        if not unit[1].startswith(scope.path):
            fail(
                i,
                "unit_code",
                f"组织“{unit[4]}”不在本次导入范围“{scope.name}”之内。",
            )
            continue
        if not everywhere and not any(s.covers(unit[1], unit[2]) for s in import_scopes):
            fail(i, "unit_code", f"您无权向组织“{unit[4]}”导入问题。")
            continue
        if unit[3] != UnitStatus.ACTIVE:
            fail(
                i,
                "unit_code",
                f"组织“{unit[4]}”{status_label.get(unit[3], unit[3])}，不能再登记问题。",
            )
            continue
        unit_ids[i] = unit[0]
        unit_paths[i] = unit[1]

    # Update by serial: the existing items the rows name.
    targets = [0] * n
    current: dict[int, dict] = {}
    if update and "number" in rows.columns:
        serial_texts = rows.column("number")
        wanted = {unit_ids[i] for i in range(n) if unit_ids[i] and serial_texts[i].isdigit()}
        existing_items = Problem.objects.filter(year=year, unit_id__in=wanted).values(
            "id", "unit_id", "serial", "status"
        )
        by_serial = {(p["unit_id"], p["serial"]): p for p in existing_items}
        taken: dict[int, int] = {}
        for i in range(n):
            text = serial_texts[i]
            item = by_serial.get((unit_ids[i], int(text))) if text.isdigit() else None
            if item is None:
                continue
            if item["id"] in taken:
                first = numbers[taken[item["id"]]]
                fail(i, "number", f"与第 {first} 行是同一个问题（序号 {text}）。")
                continue
            taken[item["id"]] = i
            targets[i] = item["id"]
            current[i] = item

    # Sources.
    lookup = _source_lookup()
    source_ids = [0] * n
    for i, value in enumerate(rows.column("source")):
        source_id = lookup.get(value) or lookup.get(_SPACE.sub("", value))
        if source_id:
            source_ids[i] = source_id
        elif not value:
            fail(i, "source", "问题来源不能为空。")
        else:
            fail(i, "source", f"未知的问题来源“{value}”：可选 {'、'.join(_source_names())}。")

    # Description, and duplicates in the file.
    descriptions = rows.column("description")
    first_of: dict[tuple[int, str], int] = {}
    for i, text in enumerate(descriptions):
        if not text:
            fail(i, "description", "问题描述不能为空。")
            continue
        if len(text) > DESCRIPTION_MAX_LENGTH:
            fail(
                i,
                "description",
                f"问题描述不能超过 {DESCRIPTION_MAX_LENGTH} 个字（现有 {len(text)} 个）。",
            )
            continue
        if not unit_ids[i]:
            continue
        key = (unit_ids[i], _SPACE.sub("", text))
        first = first_of.setdefault(key, i)
        if first != i:
            fail(i, "description", f"与第 {numbers[first]} 行重复（同一组织、相同的问题描述）。")

    # Duplicates of items already in the ledger of that year.
    if first_of:
        in_file = first_of
        existing = Problem.objects.filter(
            year=year, unit_id__in={unit_id for unit_id, _text in in_file}
        ).values_list("id", "unit_id", "description", "serial")
        for item_id, unit_id, text, serial in existing.iterator(chunk_size=5000):
            found = in_file.get((unit_id, _SPACE.sub("", text)))
            # A row updating that very item keeps its description.
            if found is not None and not bad[found] and targets[found] != item_id:
                fail(
                    found,
                    "description",
                    f"{year} 年度台账中已有相同的问题（该组织序号 {serial}），请勿重复导入。",
                )

    # Choices.
    severities = [""] * n
    for i, value in enumerate(rows.column("severity")):
        severity = SEVERITY_OF.get(value) if value else Severity.GENERAL.value
        if severity is None:
            fail(i, "severity", f"严重程度“{value}”无效：只能是 一般、较重 或 严重。")
        else:
            severities[i] = severity
    kinds = [""] * n
    for i, value in enumerate(rows.column("kind")):
        kind = KIND_OF.get(value) if value else ResponsibilityKind.PRINCIPAL.value
        if kind is None:
            fail(
                i,
                "kind",
                f"责任类型“{value}”无效：只能是 {'、'.join(map(str, ResponsibilityKind.labels))}。",
            )
        else:
            kinds[i] = kind
    statuses = [""] * n
    status_texts = rows.column("status")
    for i, value in enumerate(status_texts):
        if targets[i]:
            status = status_value(value, new=False) if value else current[i]["status"]
            if status != current[i]["status"]:
                now_label = ProblemStatus(current[i]["status"]).label
                fail(
                    i,
                    "status",
                    f"状态“{value}”与系统中的“{now_label}”不同：状态的变化须在系统中办理。",
                )
            else:
                statuses[i] = status
            continue
        status = status_value(value, new=True)
        if status is not None:
            statuses[i] = status
        elif value in REFUSED_STATUS_LABELS or status_value(value, new=False):
            fail(
                i,
                "status",
                f"新问题导入时状态只能是 待整改、整改中 或 持续整改（现为“{value}”）："
                "整改完成和销号须在系统中提交并经验收。",
            )
        else:
            fail(i, "status", f"状态“{value}”无效：只能是 待整改、整改中 或 持续整改。")

    # Dates: each distinct text parsed once.
    default_found = min(today, datetime.date(year, 12, 31))
    found_cache: dict[str, datetime.date | None] = {"": default_found}
    found_on: list[datetime.date] = [default_found] * n
    found_texts = rows.column("found_on")
    for i, value in enumerate(found_texts):
        if value not in found_cache:
            found_cache[value] = parse_date(value, end_of_month=False, year=year)
        day = found_cache[value]
        if day is None:
            fail(i, "found_on", f"发现日期“{value}”无法识别：请写成 2025-03-15 这样的日期。")
        elif day > today:
            fail(i, "found_on", f"发现日期 {day:%Y-%m-%d} 晚于今天。")
        else:
            found_on[i] = day
    deadline_cache: dict[str, datetime.date | None] = {"": None}
    deadlines: list[datetime.date | None] = [None] * n
    long_term = 0
    for i, value in enumerate(rows.column("deadline")):
        if value and is_long_term(value):
            # 长期坚持: no due date; a new item is recorded as 持续整改.
            long_term += 1
            if not targets[i] and statuses[i] in (
                ProblemStatus.OPEN.value,
                ProblemStatus.IN_PROGRESS.value,
            ):
                statuses[i] = ProblemStatus.LONG_TERM.value
            continue
        if value not in deadline_cache:
            deadline_cache[value] = parse_date(value, end_of_month=True, year=year)
            if deadline_cache[value] is None:
                deadline_cache.pop(value)
                fail(
                    i,
                    "deadline",
                    f"完成时限“{value}”无法识别：请写成 2025-06-30、2025年6月底、"
                    "10月31日前 或 长期坚持。",
                )
                continue
        day = deadline_cache[value]
        # Compared with a date the file gives only: the default found date is a stand-in.
        if day is not None and found_texts[i] and day < found_on[i]:
            fail(i, "deadline", f"完成时限 {day:%Y-%m-%d} 早于发现日期 {found_on[i]:%Y-%m-%d}。")
        deadlines[i] = day
    if long_term:
        warnings.append(f"{long_term} 行的完成时限为长期坚持：不设完成时限，新问题记为“持续整改”。")

    # Lengths of the short texts.
    for column, limit, label in (
        ("leader", LEADER_MAX, "责任领导"),
        ("person", PERSON_MAX, "责任人"),
        ("department", DEPARTMENT_MAX, "责任部门"),
        ("progress", NOTE_MAX, "整改进展"),
    ):
        values = rows.columns.get(column)
        if values is None or max(map(len, values), default=0) <= limit:
            continue
        for i, value in enumerate(values):
            if len(value) > limit:
                fail(i, column, f"{label}不能超过 {limit} 个字（现有 {len(value)} 个）。")

    verified = sum(1 for value in rows.column("verification") if value)
    if verified:
        warnings.append(
            f"“验收情况”列有 {verified} 行填写了内容，导入时未采用：验收和销号须在系统中办理。"
        )
    if rows.ignored:
        warnings.append(f"以下列未导入（列对应中为“不使用”）：{'、'.join(rows.ignored)}。")
    updated = sum(1 for target in targets if target)
    if updated and "progress" in rows.columns:
        warnings.append(
            f"按序号更新的 {updated} 个已有问题未采用“整改进展”列：进展请在系统中逐条填报。"
        )

    plan = LedgerPlan(
        rows=rows,
        year=year,
        errors=errors,
        warnings=warnings,
        unit_ids=unit_ids,
        unit_paths=unit_paths,
        source_ids=source_ids,
        severities=severities,
        found_on=found_on,
        deadlines=deadlines,
        kinds=kinds,
        statuses=statuses,
        targets=targets,
        names=match,
    )
    if updated:
        plan.changes, refused = changes_of(plan, [i for i in range(n) if not bad[i]])
        for i, reason in refused.items():
            fail(i, "number", reason)
    errors.sort(key=lambda e: e.row)
    return plan


def _source_names() -> list[str]:
    return list(ProblemSource.objects.filter(is_active=True).values_list("name", flat=True))
