"""Checking every row against the file and the database."""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from dataclasses import dataclass

from shuzhi.core import clock
from shuzhi.kernel.scope import is_global, scopes_for
from shuzhi.orgs.imports.tabular import RowError
from shuzhi.orgs.tree.models import Unit, UnitStatus

from ..models import (
    DESCRIPTION_MAX_LENGTH,
    Problem,
    ProblemSource,
    ResponsibilityKind,
    Severity,
)
from .common import (
    _COMPACT_DATE,
    _DATE,
    _SPACE,
    DEPARTMENT_MAX,
    HEADER_OF,
    IMPORT_STATUS_OF,
    KIND_OF,
    LEADER_MAX,
    NO_DEADLINE,
    NOTE_MAX,
    PERSON_MAX,
    REFUSED_STATUS_LABELS,
    SEVERITY_OF,
    ImportRefused,
)
from .reading import LedgerRows


def parse_date(text: str, *, end_of_month: bool) -> datetime.date | None:
    """A date as ledgers write it: 2025-06-30, 2025/6/30, 2025年6月30日, 2025年6月(底),
    20250630, or an Excel serial number. ``None`` when the text is no date."""
    match = _DATE.match(text)
    try:
        if match:
            year, month = int(match[1]), int(match[2])
            if match[3]:
                return datetime.date(year, month, int(match[3]))
            day = calendar.monthrange(year, month)[1] if end_of_month or match[4] else 1
            return datetime.date(year, month, day)
        match = _COMPACT_DATE.match(text)
        if match:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        if text.isdigit() and 20000 <= int(text) <= 80000:  # Excel's day count from 1899-12-30
            return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(text))
    except ValueError:
        return None
    return None


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

    @property
    def total_rows(self) -> int:
        return len(self.rows)


# (id, path, depth, status, name, short_name)
_UnitInfo = tuple[int, str, int, str, str, str]
_UNIT_FIELDS = ("id", "path", "depth", "status", "name", "short_name")


def _units_by(field_name: str, values: set[str], scope_path: str = "") -> list[tuple]:
    qs = Unit.objects.order_by()
    if scope_path:
        qs = qs.filter(path__startswith=scope_path)
    wanted = sorted(values)
    found: list[tuple] = []
    for start in range(0, len(wanted), 5000):
        found.extend(
            qs.filter(**{f"{field_name}__in": wanted[start : start + 5000]}).values_list(
                field_name, *_UNIT_FIELDS
            )
        )
    return found


def plan_ledger(rows: LedgerRows, *, actor, scope: Unit, year: int) -> LedgerPlan:
    """Check every row against the file and the database.

    Reads only: :func:`write_plan` locks the units and draws the serials.
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

    # Units: by code, else by a name unique in the scope.
    codes = rows.column("unit_code")
    names = rows.column("unit_name")
    by_code: dict[str, _UnitInfo] = {
        row[0]: row[1:] for row in _units_by("code", {c for c in codes if c})
    }
    wanted_names = {names[i] for i in range(n) if names[i] and not codes[i]}
    by_name: dict[str, list[_UnitInfo]] = {}
    for row in _units_by("name", wanted_names, scope.path):
        by_name.setdefault(row[0], []).append(row[1:])
    everywhere = is_global(actor)
    import_scopes = [] if everywhere else scopes_for(actor, "problem.import")
    unit_ids = [0] * n
    unit_paths = [""] * n
    status_label = dict(UnitStatus.choices)
    for i in range(n):
        code, name = codes[i], names[i]
        unit: _UnitInfo | None
        if code:
            unit = by_code.get(code)
            if unit is None:
                fail(i, "unit_code", f"组织代码“{code}”在系统中不存在。")
                continue
            if name and name not in (unit[4], unit[5]):
                fail(i, "unit_name", f"单位名称“{name}”与组织代码“{code}”（{unit[4]}）不一致。")
                continue
        elif name:
            matches = by_name.get(name, [])
            if not matches:
                fail(i, "unit_name", f"导入范围“{scope.name}”内没有名为“{name}”的组织。")
                continue
            if len(matches) > 1:
                fail(
                    i,
                    "unit_name",
                    f"导入范围内有 {len(matches)} 个名为“{name}”的组织，请改填组织代码。",
                )
                continue
            unit = matches[0]
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
        ).values_list("unit_id", "description", "serial")
        for unit_id, text, serial in existing.iterator(chunk_size=5000):
            found = in_file.get((unit_id, _SPACE.sub("", text)))
            if found is not None and not bad[found]:
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
    for i, value in enumerate(rows.column("status")):
        status = IMPORT_STATUS_OF.get(value)
        if status is not None:
            statuses[i] = status
        elif value in REFUSED_STATUS_LABELS:
            fail(
                i,
                "status",
                f"导入时状态只能是 待整改 或 整改中（现为“{value}”）："
                "整改完成和销号须在系统中提交并经验收。",
            )
        else:
            fail(i, "status", f"状态“{value}”无效：只能是 待整改 或 整改中。")

    # Dates: each distinct text parsed once.
    default_found = min(today, datetime.date(year, 12, 31))
    found_cache: dict[str, datetime.date | None] = {"": default_found}
    found_on: list[datetime.date] = [default_found] * n
    found_texts = rows.column("found_on")
    for i, value in enumerate(found_texts):
        if value not in found_cache:
            found_cache[value] = parse_date(value, end_of_month=False)
        day = found_cache[value]
        if day is None:
            fail(i, "found_on", f"发现日期“{value}”无法识别：请写成 2025-03-15 这样的日期。")
        elif day > today:
            fail(i, "found_on", f"发现日期 {day:%Y-%m-%d} 晚于今天。")
        else:
            found_on[i] = day
    deadline_cache: dict[str, datetime.date | None] = {"": None}
    deadlines: list[datetime.date | None] = [None] * n
    for i, value in enumerate(rows.column("deadline")):
        if value in NO_DEADLINE:
            continue
        if value not in deadline_cache:
            deadline_cache[value] = parse_date(value, end_of_month=True)
            if deadline_cache[value] is None:
                deadline_cache.pop(value)
                fail(
                    i,
                    "deadline",
                    f"完成时限“{value}”无法识别：请写成 2025-06-30、2025年6月底 或 长期坚持。",
                )
                continue
        day = deadline_cache[value]
        # Compared with a date the file gives only: the default found date is a stand-in.
        if day is not None and found_texts[i] and day < found_on[i]:
            fail(i, "deadline", f"完成时限 {day:%Y-%m-%d} 早于发现日期 {found_on[i]:%Y-%m-%d}。")
        deadlines[i] = day

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
        warnings.append(f"未识别的列已忽略：{'、'.join(rows.ignored)}。")

    errors.sort(key=lambda e: e.row)
    return LedgerPlan(
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
    )


def _source_names() -> list[str]:
    return list(ProblemSource.objects.filter(is_active=True).values_list("name", flat=True))
