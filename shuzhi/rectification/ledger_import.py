"""Import a problem ledger (导入台账) from Excel or CSV: check every row, then write in bulk.

An organisation department keeps its ledger as a spreadsheet with one line per item. The file's
header row names the columns in Chinese (see :data:`COLUMNS`); a title row above the header —
as in the ledger this product exports — is skipped. Each row becomes one ``Problem`` of the
chosen year, in the unit named by 组织代码 (or by 单位名称 when that name is unique in the
import's scope), numbered on after the unit's last serial of that year.

The path follows the unit import (docs/decisions/0003-bulk-import.md):

- the file is read into columns and every row is checked before anything is written, with
  dict look-ups over those columns (units and sources are read once, dates parsed once per
  distinct text); every bad row is reported by its number in Excel, and nothing is written while
  any row is bad;
- with the receiving units' rows locked (as ``services.create_problem`` locks its unit, so
  serials cannot collide), ids are taken from the table's sequence and the rows go in with
  one ``COPY`` on PostgreSQL (``bulk_create`` on SQLite), with their progress notes and each
  item's first status record (待整改 or 整改中, as for an item recorded by hand);
- one audit entry records the import (counts, the file name) and one summary entry per unit
  records how many items it received and their serials, so each unit's history shows them.

Imports run as background jobs (``LedgerImport`` + the django-tasks task in ``tasks.py``); the
job row carries the progress the page polls.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max

from shuzhi.accounts.scope import is_global, scopes_for
from shuzhi.core import audit, clock
from shuzhi.orgs.importing.reading import check_file_name
from shuzhi.orgs.importing.writing import _copy_text, _record_many
from shuzhi.orgs.models import Unit, UnitStatus
from shuzhi.orgs.policies import can
from shuzhi.orgs.tabular import RowError, TabularError, decode

from .models import (
    DESCRIPTION_MAX_LENGTH,
    LedgerImport,
    Problem,
    ProblemSource,
    ProblemStatus,
    ProblemTransition,
    ProgressNote,
    ResponsibilityKind,
    Severity,
)

logger = logging.getLogger(__name__)

# Field key → the header names accepted for it (the first is the one the template uses).
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("序号",),
    "unit_code": ("组织代码", "单位代码"),
    "unit_name": ("单位名称", "单位", "组织名称", "责任单位"),
    "source": ("问题来源", "来源"),
    "description": ("问题描述", "问题"),
    "severity": ("严重程度",),
    "found_on": ("发现日期",),
    "measures": ("整改措施",),
    "leader": ("责任领导",),
    "person": ("责任人",),
    "department": ("责任部门",),
    "kind": ("责任类型",),
    "deadline": ("完成时限", "整改时限"),
    "progress": ("整改进展",),
    "status": ("状态", "整改状态"),
    "verification": ("验收情况",),
}
HEADER_OF = {key: names[0] for key, names in COLUMNS.items()}
_KEY_OF_HEADER = {name: key for key, names in COLUMNS.items() for name in names}
TEMPLATE_COLUMNS = [HEADER_OF[key] for key in COLUMNS]
EXAMPLE_ROW = [
    "1",
    "440103",
    "荔湾区委",
    "巡察",
    "落实“三会一课”制度不严格，部分支部组织生活会流于形式。",
    "一般",
    "2025-03-15",
    "制定组织生活会规范，开展专项督导，纳入年度考核。",
    "王某某",
    "李某某",
    "组织部",
    "主体责任",
    "2025-06-30",
    "已召开专题会议部署整改。",
    "整改中",
    "",
]

# Plain strings as keys: lazy labels would be translated on every look-up.
SEVERITY_OF = {str(label): value for value, label in Severity.choices} | {
    value: value for value in Severity.values
}
KIND_OF = {str(label): value for value, label in ResponsibilityKind.choices} | {
    value: value for value in ResponsibilityKind.values
}
# Only these statuses can come in through a file: closing or sending for verification is done
# in the system, with a verifier and evidence.
IMPORT_STATUS_OF = {
    "": ProblemStatus.OPEN.value,
    "待整改": ProblemStatus.OPEN.value,
    "整改中": ProblemStatus.IN_PROGRESS.value,
    "整改中（逾期）": ProblemStatus.IN_PROGRESS.value,
    "整改中(逾期)": ProblemStatus.IN_PROGRESS.value,
    "逾期": ProblemStatus.IN_PROGRESS.value,
    ProblemStatus.OPEN.value: ProblemStatus.OPEN.value,
    ProblemStatus.IN_PROGRESS.value: ProblemStatus.IN_PROGRESS.value,
}
REFUSED_STATUS_LABELS = {
    str(label) for value, label in ProblemStatus.choices if value not in IMPORT_STATUS_OF
} | {"已整改", "已完成", "已销号", "完成"}
NO_DEADLINE = {"长期", "长期坚持", "持续", "持续整改", "长期整改"}

LEADER_MAX = Problem._meta.get_field("responsible_leader_name").max_length or 50
PERSON_MAX = Problem._meta.get_field("responsible_person_name").max_length or 50
DEPARTMENT_MAX = Problem._meta.get_field("responsible_department").max_length or 100
NOTE_MAX = ProgressNote._meta.get_field("text").max_length or 2000
# At most this many errors are kept on the job (the page and the report show them all).
MAX_STORED_ERRORS = 20_000
CHUNK = 20_000

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(?:[-/.]?\s*(\d{1,2})\s*日?|(底|末))?"
    r"(?:\s+00:00(?::00)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SPACE = re.compile(r"\s+")
_HEADER_NOISE = re.compile(r"[\s*＊]|[（(]必填[)）]")


class ImportRefused(Exception):
    """The file cannot be imported; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass
class LedgerRows:
    """The file's rows as columns (field key → cell texts); ``numbers`` as Excel shows them."""

    numbers: list[int]
    columns: dict[str, list[str]]
    header: list[str]
    ignored: list[str] = field(default_factory=list)  # headers that name no known column

    def __len__(self) -> int:
        return len(self.numbers)

    def column(self, key: str) -> list[str]:
        return self.columns.get(key) or [""] * len(self.numbers)


def _header_key(cell: object) -> str:
    return _HEADER_NOISE.sub("", str(cell or "")).lstrip("\ufeff")


def _find_header(records: Sequence[Sequence[object]]) -> int:
    """The index of the header row among the first few (a title row may come first)."""
    for index, record in enumerate(records[:5]):
        keys = {_KEY_OF_HEADER.get(_header_key(cell)) for cell in record}
        if "description" in keys:
            return index
    raise TabularError(
        "找不到表头：第一行（或标题行之后的一行）应为列名，且包含“问题描述”列。"
        "请下载导入模板对照填写。"
    )


def _to_columns(records: list[list[str]], first_number: int) -> LedgerRows:
    """Turn records (first the header) into stripped columns, skipping blank lines."""
    top = _find_header(records)
    header = [_header_key(cell) for cell in records[top]]
    body = records[top + 1 :]
    numbers = list(range(first_number + top + 1, first_number + top + 1 + len(body)))
    keep = [k for k, record in enumerate(body) if "".join(record).strip()]
    if len(keep) != len(body):
        body = [body[k] for k in keep]
        numbers = [numbers[k] for k in keep]
    width = len(header)
    if any(len(record) != width for record in body):
        body = [(record + [""] * width)[:width] for record in body]
    # One tuple per column (as the unit import reads its files): no per-cell Python loop.
    transposed = list(zip(*body, strict=True)) if body else [() for _ in header]
    columns: dict[str, list[str]] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        key = _KEY_OF_HEADER.get(name)
        if key is None:
            if name:
                ignored.append(name)
            continue
        if key in columns:
            raise TabularError(f"列“{name}”出现了两次，请删除重复的列。")
        columns[key] = list(map(str.strip, transposed[position]))
    if "unit_code" not in columns and "unit_name" not in columns:
        raise TabularError("缺少“组织代码”列（或“单位名称”列）：请按导入模板填写。")
    if "source" not in columns:
        raise TabularError("缺少“问题来源”列：请按导入模板填写。")
    return LedgerRows(numbers=numbers, columns=columns, header=header, ignored=ignored)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 440100 as 440100.0
    return str(value)


def read_ledger(name: str, stream: BinaryIO) -> LedgerRows:
    """Read a ledger file (.csv in UTF-8 or GBK, or .xlsx) into columns."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        text, _encoding = decode(stream.read())
        try:
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise TabularError(f"CSV 文件格式有误：{exc}") from exc
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise TabularError("无法读取该 Excel 文件，请确认它是 .xlsx 格式且未损坏。") from exc
        try:
            sheet = workbook.worksheets[0]
            records = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise TabularError(f"不支持的文件类型“{suffix or name}”：请上传 .csv 或 .xlsx 文件。")
    if not records:
        raise TabularError("文件是空的。")
    return _to_columns(records, 1)


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _lock_units(unit_ids: set[int]) -> None:
    """Lock the rows of the units receiving items, in id order, as ``services.create_problem``
    locks its unit: nobody else draws a serial in these units until the import commits."""
    wanted = sorted(unit_ids)
    for start in range(0, len(wanted), 5000):
        list(
            Unit.objects.select_for_update()
            .filter(pk__in=wanted[start : start + 5000])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    # SQLite takes the database write lock when the transaction begins (IMMEDIATE mode).


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
    names = dict(Unit.objects.filter(pk__in=list(outcome.by_unit)[:5000]).values_list("id", "name"))
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


# --------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------


def import_units_for(actor) -> list[Unit]:
    """The units at the top of ``actor``'s import scopes (the choices of the upload form)."""
    if is_global(actor):
        return list(Unit.objects.filter(parent__isnull=True, status=UnitStatus.ACTIVE))
    paths = [scope.path for scope in scopes_for(actor, "problem.import")]
    return list(Unit.objects.filter(path__in=paths, status=UnitStatus.ACTIVE).order_by("path"))


def may_import_somewhere(actor) -> bool:
    """Whether ``actor`` may import problems anywhere at all."""
    return is_global(actor) or bool(scopes_for(actor, "problem.import"))


class _Progress:
    """Publish a job's progress while it runs (the same approach as the unit import's jobs):
    inside the import transaction PostgreSQL gets it through a second connection, at most
    twice a second; SQLite, with one writer, reports between phases only."""

    def __init__(self, job: LedgerImport):
        self.job_id = job.pk
        self._side: Any = None
        self._last = 0.0
        self._pending: dict[str, Any] = {}

    def set(self, *, force: bool = False, **values: Any) -> None:
        self._pending.update(values)
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        values, self._pending = self._pending, {}
        if not connection.in_atomic_block:
            LedgerImport.objects.filter(pk=self.job_id).update(**values)
            return
        if connection.vendor != "postgresql":
            return
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            assignments = ", ".join(f"{name} = %s" for name in values)
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE rectification_ledgerimport SET {assignments} WHERE id = %s",
                    [*values.values(), self.job_id],
                )
        except Exception:  # progress is a courtesy; the import must not fail for it
            logger.warning("Could not publish ledger import progress.", exc_info=True)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def create_import(
    *,
    actor,
    unit: Unit,
    year: int,
    file_name: str,
    content: File | bytes,
    enqueue: bool = True,
) -> LedgerImport:
    """Store an uploaded ledger as a new import job for ``unit``'s subtree and ``year``, and
    queue it after the commit. Refuses users without ``problem.import`` on ``unit``."""
    if not can(actor, "problem.import", unit):
        raise PermissionDenied("您无权向该组织导入问题台账。")
    errors: dict[str, str] = {}
    file_name = Path(file_name or "").name
    try:
        check_file_name(file_name)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    size = len(content) if isinstance(content, bytes) else content.size
    limit = settings.SHUZHI_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        errors["file"] = f"文件太大（{size // 1048576} MB），上限为 {limit // 1048576} MB。"
    elif size == 0:
        errors["file"] = "文件是空的。"
    this_year = clock.today().year
    if not (2000 <= year <= this_year + 1):
        errors["year"] = f"年度应在 2000 至 {this_year + 1} 之间。"
    if unit.status != UnitStatus.ACTIVE:
        errors["unit"] = "该组织已合并或撤销，不能再导入问题。"
    if errors:
        raise ValidationError(errors)
    upload = ContentFile(content) if isinstance(content, bytes) else content
    with transaction.atomic():
        job = LedgerImport(unit=unit, year=year, original_name=file_name[:255], created_by=actor)
        job.file.save(file_name, upload, save=False)
        job.save()
        if enqueue:
            from .tasks import run_ledger_import

            transaction.on_commit(lambda: run_ledger_import.enqueue(job.pk))
    return job


def _errors_json(errors: Sequence[RowError]) -> list[list[Any]]:
    stored = [[e.row, e.column, e.message] for e in errors[:MAX_STORED_ERRORS]]
    if len(errors) > MAX_STORED_ERRORS:
        stored.append([0, "", f"另有 {len(errors) - MAX_STORED_ERRORS} 处问题未列出。"])
    return stored


def _finish_failed(job: LedgerImport, errors: Sequence[RowError], total: int) -> LedgerImport:
    job.status = LedgerImport.Status.FAILED
    job.total_rows = total
    job.done_rows = 0
    job.created_count = 0
    job.errors = _errors_json(errors)
    job.save()
    return job


def run_import(import_id: int) -> LedgerImport:
    """Run an import job to the end: read, check, write, audit, record the result.

    Runs in the background task (or directly, e.g. from the benchmark). A job that has already
    finished is returned as it is, so a retried task does nothing twice.
    """
    job = LedgerImport.objects.select_related("created_by", "unit").get(pk=import_id)
    if job.status in (LedgerImport.Status.DONE, LedgerImport.Status.FAILED):
        return job
    actor = job.created_by
    progress = _Progress(job)
    progress.set(status=LedgerImport.Status.RUNNING, done_rows=0, force=True)
    try:
        with job.file.open("rb") as stream:
            rows = read_ledger(job.original_name, stream)
    except TabularError as exc:
        return _finish_failed(job, [RowError(0, "", str(exc))], 0)
    except OSError:
        logger.exception("Ledger import %s: the uploaded file cannot be read.", job.pk)
        return _finish_failed(job, [RowError(0, "", "上传的文件无法读取，请重新上传。")], 0)
    total = len(rows)
    progress.set(total_rows=total, force=True)
    try:
        with transaction.atomic():
            if actor is None or not can(actor, "problem.import", job.unit):
                raise ImportRefused([RowError(0, "", "您已无权向该组织导入问题台账。")])
            plan = plan_ledger(rows, actor=actor, scope=job.unit, year=job.year)
            if plan.errors:
                raise ImportRefused(plan.errors)
            _lock_units(set(plan.unit_ids))
            outcome = write_plan(plan, actor=actor, job=job, progress=progress)
            progress.close()
            job.status = LedgerImport.Status.DONE
            job.total_rows = total
            job.done_rows = total
            job.created_count = outcome.created
            job.errors = [[0, "", warning] for warning in plan.warnings]
            job.save()
    except ImportRefused as refused:
        progress.close()
        return _finish_failed(job, refused.errors, total)
    except Exception:
        progress.close()
        logger.exception("Ledger import %s failed.", job.pk)
        return _finish_failed(
            job, [RowError(0, "", "导入时发生内部错误，未写入任何数据。请联系系统管理员。")], total
        )
    return job


def import_file(*, actor, unit: Unit, year: int, path: Path | str) -> LedgerImport:
    """Store a file from disk as a job and run it now (scripts and the benchmark)."""
    path = Path(path)
    with path.open("rb") as handle:
        job = create_import(
            actor=actor,
            unit=unit,
            year=year,
            file_name=path.name,
            content=File(handle, name=path.name),
            enqueue=False,
        )
    return run_import(job.pk)


# --------------------------------------------------------------------------------------------
# Error report
# --------------------------------------------------------------------------------------------


def error_report(job: LedgerImport) -> bytes:
    """The uploaded rows with a 行号 and an 错误说明 column (bad rows in red), as .xlsx.

    The rows keep the file's columns, so the report can be corrected and uploaded again: the
    two added columns are ignored by the import.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    by_row: dict[int, list[str]] = {}
    for row, column, message in job.errors:
        by_row.setdefault(row, []).append(f"{column}：{message}" if column else message)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "错误报告"
    red = PatternFill("solid", fgColor="FFE0E0")
    rows: LedgerRows | None = None
    try:
        with job.file.open("rb") as stream:
            rows = read_ledger(job.original_name, stream)
    except (TabularError, OSError):
        rows = None
    if rows is None:
        sheet.append(["行号", "错误说明"])
        for row, messages in sorted(by_row.items()):
            sheet.append([row or "文件", "；".join(messages)])
    else:
        keys = [_KEY_OF_HEADER.get(name) for name in rows.header]
        sheet.append(["行号", "错误说明", *rows.header])
        if 0 in by_row:
            sheet.append(["文件", "；".join(by_row[0])])
        for k, number in enumerate(rows.numbers):
            messages = by_row.get(number, [])
            sheet.append(
                [
                    number,
                    "；".join(messages),
                    *[rows.columns[key][k] if key in rows.columns else "" for key in keys],
                ]
            )
            if messages:
                for cell in sheet[sheet.max_row][:2]:
                    cell.fill = red
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 60
    for row_cells in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        row_cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def imports_visible_to(user):
    """A user's own imports; every import for superusers; nothing for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return LedgerImport.objects.none()
    if is_global(user):
        return LedgerImport.objects.all()
    return LedgerImport.objects.filter(created_by=user)
