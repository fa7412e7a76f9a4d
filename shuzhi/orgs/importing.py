"""Import units from CSV or XLSX: validate every row, then write them in bulk.

The file has the columns ``code, name, parent_code, type`` and optionally ``short_name``.
``type`` is a unit type's code or its Chinese name; an empty ``parent_code`` makes a root.
Parents may come after their children. A code already in the database updates that unit
(name, short name, type and parent — a new parent moves the whole subtree); a unit is never
created twice.

The path is built for a national tree of a million units (docs/decisions/0003-bulk-import.md):

- the file is read into columns (one list per column, filled by the ``csv`` module and ``zip``),
  validation runs over those lists with dicts and comprehensions, and the existing units are
  read with one ``values_list`` query — no model object, and little Python work, per row;
- ids of new units are taken from the table's sequence up front, so paths and depths are
  computed in memory and the rows go in with one ``COPY`` on PostgreSQL (``executemany`` on
  SQLite); updated rows go through a temporary table and one ``UPDATE … FROM``; a moved unit's
  descendants that the file does not mention are rewritten with one prefix ``UPDATE`` each;
- everything from the first read of the existing units to the last audit entry happens in one
  transaction holding a lock that keeps other writers of the tree out, so the plan cannot go
  stale and a failure leaves the database as it was.

Every row is checked before anything is written. Nothing is written while a row is bad, unless
the caller asked for the good rows only; then the rows below a bad row (in the file or, through
an existing unit, in the database) are left out too and reported.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from shuzhi.accounts.scope import is_global, scopes_for
from shuzhi.core import audit
from shuzhi.core.models import AuditEntry

from .import_models import MAX_STORED_ERRORS, ImportJob, ImportKind, ImportStatus
from .models import (
    CODE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SHORT_NAME_MAX_LENGTH,
    Unit,
    UnitStatus,
    UnitType,
)
from .tabular import (
    RowError,
    Table,
    TabularError,
    decode,
    errors_as_csv,
    read_table,
    read_xlsx,
    require_columns,
)

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ["code", "name", "parent_code", "type"]
OPTIONAL_COLUMNS = ["short_name"]
ALLOWED_SUFFIXES = (".csv", ".xlsx")
PATH_MAX_LENGTH = Unit._meta.get_field("path").max_length or 255

# Above this many new units, PostgreSQL loads them with the table's foreign keys dropped and
# re-created (one validating join instead of two trigger checks per row; see ADR 0003).
REBUILD_FK_DEFAULT = 50_000
CHUNK = 50_000

_BAD_CODE = re.compile(r"[\s/]")
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

# (id, name, short_name, type_id, parent_id, path, depth, status)
Existing = tuple[int, str, str, int, int | None, str, int, str]
_EXISTING_FIELDS = ("id", "name", "short_name", "type_id", "parent_id", "path", "depth", "status")

NO_PERMISSION = "无权在该组织下导入"


class ImportRefused(Exception):
    """The file cannot be imported; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class UnitRows:
    """The file's rows as columns; ``numbers`` are the row numbers as Excel shows them."""

    numbers: list[int]
    codes: list[str]
    names: list[str]
    parent_codes: list[str]
    types: list[str]
    shorts: list[str]
    extra: list[int] = field(default_factory=list)  # rows with cells beyond the header

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class UnitPlan:
    """What an import will do, computed from the file and the database under the lock."""

    rows: UnitRows
    errors: list[RowError]
    bad: bytearray
    type_ids: list[int]
    type_names: dict[int, str]
    par_file: list[int]  # index of the parent's row in the file, or -1
    par_db: list[Existing | None]  # the parent when it is in the database only
    existing: list[Existing | None]  # the unit itself when its code is in the database
    row_of_existing_id: dict[int, int]
    topological: bool  # every parent in the file comes before its children
    create: list[int] = field(default_factory=list)
    update: list[int] = field(default_factory=list)
    moved: set[int] = field(default_factory=set)
    unchanged: int = 0

    @property
    def total_rows(self) -> int:
        return len(self.rows)


@dataclass
class ImportOutcome:
    """Counts of a finished import."""

    total_rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    scope_path: str = ""


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def check_file_name(name: str) -> None:
    """Refuse a file whose extension is neither .csv nor .xlsx."""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationError(
            {"file": f"不支持的文件类型“{suffix or name}”：请上传 .csv 或 .xlsx 文件。"}
        )


def _columns(header: list[str], records: list[list[str]], numbers: list[int]) -> UnitRows:
    """Turn records (lists of cell text, all as wide as the header) into stripped columns."""
    require_columns(Table(header, [], ""), REQUIRED_COLUMNS)
    columns = list(zip(*records, strict=True)) if records else [() for _ in header]

    def column(name: str) -> list[str]:
        if name not in header:
            return [""] * len(records)
        return [cell.strip() for cell in columns[header.index(name)]]

    return UnitRows(
        numbers=numbers,
        codes=column("code"),
        names=column("name"),
        parent_codes=column("parent_code"),
        types=column("type"),
        shorts=column("short_name"),
    )


def _read_csv(data: bytes) -> UnitRows:
    text, _encoding = decode(data)  # UTF-8 (with or without BOM) or GBK, as tabular decides
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower().lstrip("\ufeff") for cell in next(reader)]
    except StopIteration:
        raise TabularError("文件是空的。") from None
    except csv.Error as exc:
        raise TabularError(f"CSV 文件格式有误：{exc}") from exc
    try:
        records = list(reader)
    except csv.Error as exc:
        raise TabularError(f"CSV 文件格式有误（第 {reader.line_num} 行附近）：{exc}") from exc
    width = len(header)
    numbers = list(range(2, len(records) + 2))
    extra: list[int] = []
    irregular = [k for k, record in enumerate(records) if len(record) != width]
    if irregular:
        for k in irregular:
            record = records[k]
            if len(record) > width:
                if any(cell.strip() for cell in record[width:]):
                    extra.append(k)
                records[k] = record[:width]
            else:
                records[k] = record + [""] * (width - len(record))
    # Blank lines are not errors (a blank line has no code, so look only at those rows).
    blank = {k for k, record in enumerate(records) if not record[0] or not record[0].strip()}
    blank = {k for k in blank if not any(cell.strip() for cell in records[k])}
    if blank:
        keep = [k for k in range(len(records)) if k not in blank]
        records = [records[k] for k in keep]
        numbers = [numbers[k] for k in keep]
        position = {old: new for new, old in enumerate(keep)}
        extra = [position[k] for k in extra if k in position]
    rows = _columns(header, records, numbers)
    rows.extra = extra
    return rows


def _read_xlsx(stream: BinaryIO) -> UnitRows:
    table = read_xlsx(stream)
    require_columns(table, REQUIRED_COLUMNS)
    header = table.header
    records = [[row.get(name, "") for name in header] for _number, row in table.rows]
    rows = _columns(header, records, [number for number, _row in table.rows])
    rows.extra = [k for k, (_number, row) in enumerate(table.rows) if "__extra__" in row]
    return rows


def read_units_file(name: str, stream: BinaryIO) -> UnitRows:
    """Read the file by its extension and check the required columns are there."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return _read_csv(stream.read())
    if suffix == ".xlsx":
        return _read_xlsx(stream)
    read_table(name, stream)  # raises the reader's own message for other extensions
    raise TabularError(f"不支持的文件类型“{suffix}”。")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _load_existing(codes: set[str]) -> dict[str, Existing]:
    """The existing units whose code is among ``codes``, by code.

    One query reads the whole table when the file is large (a national re-import touches most
    units anyway); a small file reads only its own codes, in chunks.
    """
    qs = Unit.objects.order_by()
    if len(codes) > 20_000:
        return {
            row[0]: row[1:]  # type: ignore[misc]
            for row in qs.values_list("code", *_EXISTING_FIELDS).iterator(chunk_size=20_000)
        }
    found: dict[str, Existing] = {}
    wanted = list(codes)
    for start in range(0, len(wanted), 5000):
        for row in qs.filter(code__in=wanted[start : start + 5000]).values_list(
            "code", *_EXISTING_FIELDS
        ):
            found[row[0]] = row[1:]  # type: ignore[assignment]
    return found


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


class _Scope:
    """The actor's import scopes, with the answer cached per unit."""

    def __init__(self, actor):
        self.everywhere = is_global(actor)
        self.scopes = [] if self.everywhere else scopes_for(actor, "unit.import")
        self._cache: dict[int, bool] = {}

    def covers(self, unit: Existing) -> bool:
        if self.everywhere:
            return True
        answer = self._cache.get(unit[0])
        if answer is None:
            answer = any(scope.covers(unit[5], unit[6]) for scope in self.scopes)
            self._cache[unit[0]] = answer
        return answer


def may_import_somewhere(actor) -> bool:
    """Whether ``actor`` may import units anywhere at all (the page and API ask this first)."""
    return is_global(actor) or bool(scopes_for(actor, "unit.import"))


def _type_lookup() -> tuple[dict[str, int], dict[int, str]]:
    ids: dict[str, int] = {}
    names: dict[int, str] = {}
    for type_id, type_code, type_name in UnitType.objects.values_list("id", "code", "name"):
        ids[type_code] = type_id
        ids[type_code.lower()] = type_id
        ids[type_name] = type_id
        names[type_id] = type_name
    return ids, names


def plan_units(rows: UnitRows, *, actor, good_rows_only: bool) -> UnitPlan:
    """Check every row against the file and the database; decide what to create and update.

    Call inside the import transaction, after :func:`_lock_units`, so the database cannot
    change under the plan. The common case — a clean file, parents before children — costs a
    few comprehensions over the columns; the per-row loops run only over the rows that need
    them (bad rows, rows touching existing units, roots).
    """
    n = len(rows)
    numbers = rows.numbers
    codes, names, shorts = rows.codes, rows.names, rows.shorts
    parent_codes = rows.parent_codes
    errors: list[RowError] = []
    bad = bytearray(n)

    def fail(i: int, column: str, message: str) -> None:
        bad[i] = 1
        errors.append(RowError(numbers[i], column, message))

    # 1. Each row on its own.
    for i in rows.extra:
        fail(i, "", "该行的单元格比表头多，请检查是否有多余的逗号或未加引号的逗号。")

    type_ids, type_names = _type_lookup()
    tids = [type_ids.get(value, 0) for value in rows.types]
    if 0 in tids:
        for i in [k for k, t in enumerate(tids) if not t]:
            value = rows.types[i]
            tids[i] = type_ids.get(value.lower(), 0)
            if tids[i]:
                continue
            if not value:
                fail(i, "type", "类型不能为空。")
            else:
                fail(
                    i,
                    "type",
                    f"未知的组织类型“{value}”：请填写类型代码（如 village）"
                    "或类型名称（如 村党组织）。",
                )

    # First occurrence of each code (reversed, so the first occurrence is written last).
    first_row = dict(zip(reversed(codes), range(n - 1, -1, -1), strict=True))
    invalid_code_row: dict[str, int] = {}  # unusable codes, so their children are dependants
    suspects = [i for i, c in enumerate(codes) if not c or len(c) > CODE_MAX_LENGTH]
    if _BAD_CODE.search("\x00".join(codes)):
        suspects += [i for i, c in enumerate(codes) if _BAD_CODE.search(c)]
    for i in sorted(set(suspects)):
        code = codes[i]
        if not code:
            fail(i, "code", "组织代码不能为空。")
        elif len(code) > CODE_MAX_LENGTH:
            fail(i, "code", f"组织代码不能超过 {CODE_MAX_LENGTH} 个字符（现有 {len(code)} 个）。")
        else:
            fail(i, "code", "组织代码不能包含空格或斜杠。")
        first_row.pop(code, None)
        if code:
            invalid_code_row.setdefault(code, i)
    if len(first_row) + len(set(suspects)) < n:  # some code occurs twice
        reported: set[str] = set()
        for i in [k for k, c in enumerate(codes) if first_row.get(c, k) != k]:
            code = codes[i]
            first = first_row[code]
            fail(i, "code", f"组织代码“{code}”在文件中重复（第 {numbers[first]} 行已有）。")
            if code not in reported:
                reported.add(code)
                fail(first, "code", f"组织代码“{code}”在文件中重复（另见第 {numbers[i]} 行）。")

    for i in [k for k, s in enumerate(names) if not s or len(s) > NAME_MAX_LENGTH]:
        if not names[i]:
            fail(i, "name", "名称不能为空。")
        else:
            fail(i, "name", f"名称不能超过 {NAME_MAX_LENGTH} 个字符（现有 {len(names[i])} 个）。")
    for i in [k for k, s in enumerate(shorts) if len(s) > SHORT_NAME_MAX_LENGTH]:
        fail(
            i,
            "short_name",
            f"简称不能超过 {SHORT_NAME_MAX_LENGTH} 个字符（现有 {len(shorts[i])} 个）。",
        )

    # 2. Parents: in the file, in the database, or nowhere.
    par_file = [first_row.get(p, -1) for p in parent_codes]
    roots = [i for i, p in enumerate(parent_codes) if not p]
    elsewhere = [i for i, j in enumerate(par_file) if j < 0 and parent_codes[i]]
    unresolved = bytearray(n)
    for i in [k for k, j in enumerate(par_file) if j == k]:
        fail(i, "parent_code", "上级组织不能是它自己。")
        par_file[i] = -1
        unresolved[i] = 1
    wanted = set(first_row)
    wanted.update(parent_codes[i] for i in elsewhere)
    existing_by_code = _load_existing(wanted) if wanted else {}
    existing: list[Existing | None] = [None] * n
    row_of_existing_id: dict[int, int] = {}
    if existing_by_code:
        for code, found in existing_by_code.items():
            row = first_row.get(code)
            if row is not None:
                existing[row] = found
                row_of_existing_id[found[0]] = row
    par_db: list[Existing | None] = [None] * n
    for i in elsewhere:
        p = parent_codes[i]
        j = invalid_code_row.get(p)
        if j is not None:
            par_file[i] = j
            continue
        unit = existing_by_code.get(p)
        if unit is not None:
            par_db[i] = unit
        else:
            unresolved[i] = 1
            fail(i, "parent_code", f"上级组织代码“{p}”在文件和系统中都不存在。")
    with_db_parent = [i for i in elsewhere if par_db[i] is not None]

    # 3. The next row up from each row: its parent in the file, or — through an existing
    #    unit — the nearest ancestor of that unit which the file itself mentions.
    up = par_file
    via_db = set()
    if row_of_existing_id and with_db_parent:
        up = list(par_file)
        for i in with_db_parent:
            unit = par_db[i]
            assert unit is not None
            for ancestor_id in reversed(_path_ids(unit[5])[:-1]):
                k = row_of_existing_id.get(ancestor_id)
                if k is not None:
                    up[i] = k
                    via_db.add(i)
                    break

    # 4. Cycles, in the file alone or through existing units. When every parent comes before
    #    its child there can be none.
    topological = not via_db and all(j < i for i, j in enumerate(par_file))
    if not topological:
        _find_cycles(up, via_db, codes, fail)

    # 5. Where each row goes, and whether the actor may put it there (only rows that touch
    #    the database or make a root need a look).
    scope = _Scope(actor)
    moved: set[int] = set()
    candidates = set(roots)
    candidates.update(with_db_parent)
    if existing_by_code:
        candidates.update(i for i, unit in enumerate(existing) if unit is not None)
        candidates.update(i for i, j in enumerate(par_file) if j >= 0 and existing[j] is not None)
    for i in sorted(candidates):
        if unresolved[i]:
            continue
        unit = existing[i]
        j = par_file[i]
        parent_unit = par_db[i] if j < 0 else existing[j]
        is_move = False
        if unit is not None:
            if j >= 0:
                is_move = parent_unit is None or parent_unit[0] != unit[4]
            elif parent_unit is not None:
                is_move = parent_unit[0] != unit[4]
            else:
                is_move = unit[4] is not None
            if is_move:
                moved.add(i)
            if not scope.covers(unit):
                fail(i, "code", f"{NO_PERMISSION}：组织“{codes[i]}”不在您的管理范围内。")
                continue
            if unit[7] != UnitStatus.ACTIVE and (
                is_move or unit[1] != names[i] or unit[2] != shorts[i] or unit[3] != tids[i]
            ):
                fail(i, "code", f"组织“{codes[i]}”已合并或已撤销，不能通过导入修改。")
                continue
            if not is_move:
                continue
        # A new unit, or an existing one that changes parent.
        if not parent_codes[i]:
            if not scope.everywhere:
                fail(i, "parent_code", f"{NO_PERMISSION}：只有系统管理员可以导入顶级组织。")
            continue
        if parent_unit is not None and parent_unit[7] != UnitStatus.ACTIVE:
            fail(
                i,
                "parent_code",
                f"上级组织“{parent_codes[i]}”已合并或已撤销，不能在其下导入。",
            )
            continue
        if j < 0 and parent_unit is not None and not scope.covers(parent_unit):
            fail(
                i,
                "parent_code",
                f"{NO_PERMISSION}：上级组织“{parent_codes[i]}”不在您的管理范围内。",
            )

    plan = UnitPlan(
        rows=rows,
        errors=errors,
        bad=bad,
        type_ids=tids,
        type_names=type_names,
        par_file=par_file,
        par_db=par_db,
        existing=existing,
        row_of_existing_id=row_of_existing_id,
        topological=topological,
    )
    if errors and not good_rows_only:
        errors.sort(key=lambda e: e.row)
        return plan

    # 6. With the good rows only, the rows below a bad row cannot be imported either.
    if errors:
        for i, k in enumerate(_nearest_bad(up, bad)):
            if k >= 0 and k != i:
                bad[i] = 1
                errors.append(
                    RowError(
                        numbers[i],
                        "parent_code",
                        f"上级组织“{codes[k]}”（第 {numbers[k]} 行）有错误，本行未导入。",
                    )
                )

    # 7. Sort the good rows into create / update / unchanged.
    if not existing_by_code and not errors:
        plan.create = list(range(n))
    else:
        for i in range(n):
            if bad[i]:
                continue
            unit = existing[i]
            if unit is None:
                plan.create.append(i)
            elif i in moved or unit[1] != names[i] or unit[2] != shorts[i] or unit[3] != tids[i]:
                plan.update.append(i)
                if i in moved:
                    plan.moved.add(i)
            else:
                plan.unchanged += 1
    errors.sort(key=lambda e: e.row)
    return plan


def _find_cycles(up: list[int], via_db: set[int], codes: list[str], fail) -> None:
    """Report every row on a loop of parents (each row has at most one row above it)."""
    state = bytearray(len(up))  # 0 not seen, 1 on the current walk, 2 finished
    for start in range(len(up)):
        if state[start]:
            continue
        walk: list[int] = []
        v = start
        while v >= 0 and not state[v]:
            state[v] = 1
            walk.append(v)
            v = up[v]
        if v >= 0 and state[v] == 1:
            cycle = walk[walk.index(v) :]
            chain = " → ".join(codes[u] for u in [*cycle[:8], cycle[0]])
            if any(u in via_db for u in cycle):
                message = f"上级关系与现有组织形成循环：{chain}。"
            else:
                message = f"上级关系形成循环：{chain}。"
            for u in cycle:
                fail(u, "parent_code", message)
        for u in walk:
            state[u] = 2


def _nearest_bad(up: list[int], bad: bytearray) -> list[int]:
    """For each row, the nearest bad row at or above it (-1 for none)."""
    nearest = [-2] * len(up)  # -2 not yet known
    for start in range(len(up)):
        if nearest[start] != -2:
            continue
        walk = []
        v = start
        found = -1
        while v >= 0:
            known = nearest[v]
            if known != -2:
                found = known
                break
            if bad[v]:
                nearest[v] = found = v
                break
            walk.append(v)
            v = up[v]
        for u in walk:
            nearest[u] = found
    return nearest


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
    progress: _Progress | None,
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


def _rewrite_subtree(old_path: str, new_path: str) -> None:
    """Move every unit under ``old_path`` (the moved unit included) to ``new_path``."""
    delta = new_path.count("/") - old_path.count("/")
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + delta,
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
    plan: UnitPlan, *, actor, job: ImportJob, progress: _Progress | None = None
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
        _rewrite_subtree(unit[5], new_path)

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


# --------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------


class _Progress:
    """Publish a job's status and progress while it runs.

    Outside the import transaction this is a plain update. Inside it, PostgreSQL gets the
    update through a second connection (at most twice a second), so the job page can show
    progress while the import's own transaction is still open; SQLite, which has one writer,
    only reports between phases.
    """

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self._side: Any = None  # a second database connection, opened when first needed
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
            ImportJob.objects.filter(pk=self.job_id).update(**values)
            return
        if connection.vendor != "postgresql":
            return
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            assignments = ", ".join(f"{name} = %s" for name in values)
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE orgs_importjob SET {assignments} WHERE id = %s",
                    [*values.values(), self.job_id],
                )
        except Exception:  # progress is a courtesy; the import must not fail for it
            logger.warning("Could not publish import progress.", exc_info=True)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def create_job(
    *,
    actor,
    file_name: str,
    content: File | bytes,
    good_rows_only: bool = False,
    enqueue: bool = True,
) -> ImportJob:
    """Store an uploaded file as a new unit import job and queue it after the commit.

    Refuses users who may not import anywhere and files that are not .csv or .xlsx.
    """
    if not may_import_somewhere(actor):
        raise PermissionDenied("您没有导入组织的权限。")
    file_name = Path(file_name or "").name
    check_file_name(file_name)
    size = len(content) if isinstance(content, bytes) else content.size
    limit = settings.SHUZHI_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(
            {"file": f"文件太大（{size // 1048576} MB），上限为 {limit // 1048576} MB。"}
        )
    if size == 0:
        raise ValidationError({"file": "文件是空的。"})
    upload = ContentFile(content) if isinstance(content, bytes) else content
    with transaction.atomic():
        job = ImportJob(
            kind=ImportKind.UNITS,
            file_name=file_name[:255],
            good_rows_only=good_rows_only,
            created_by=actor,
        )
        job.file.save(file_name, upload, save=False)
        job.save()
        if enqueue:
            from .tasks import run_import_job

            transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def _save_errors(job: ImportJob, errors: Sequence[RowError]) -> None:
    job.error_count = len(errors)
    job.errors = [[e.row, e.column, e.message] for e in errors[:MAX_STORED_ERRORS]]
    if errors:
        job.error_report.save(
            f"import-{job.pk}-errors.csv", ContentFile(errors_as_csv(list(errors))), save=False
        )


def _finish_failed(job: ImportJob, errors: Sequence[RowError], total_rows: int) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.total_rows = total_rows
    job.processed_rows = 0
    job.created_count = job.updated_count = job.unchanged_count = 0
    job.finished_at = timezone.now()
    _save_errors(job, errors)
    job.save()
    return job


def run_job(job_id: int) -> ImportJob:
    """Run a unit import job to the end: parse, validate, write, audit, record the result.

    Runs in the background task, or directly from the management command. A job that has
    already finished is returned as it is, so a retried task does nothing twice.
    """
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.is_finished:
        return job
    if job.kind != ImportKind.UNITS:
        raise ValueError(f"Import job {job.pk} is not a unit import ({job.kind}).")
    actor = job.created_by
    progress = _Progress(job)
    progress.set(status=ImportStatus.VALIDATING, processed_rows=0, force=True)
    try:
        with job.file.open("rb") as stream:
            rows = read_units_file(job.file_name, stream)
    except TabularError as exc:
        return _finish_failed(job, [RowError(0, "", str(exc))], 0)
    except OSError:
        logger.exception("Import job %s: the uploaded file cannot be read.", job.pk)
        return _finish_failed(job, [RowError(0, "", "上传的文件无法读取，请重新上传。")], 0)
    total = len(rows)
    progress.set(total_rows=total, force=True)
    try:
        with transaction.atomic():
            _lock_units()
            plan = plan_units(rows, actor=actor, good_rows_only=job.good_rows_only)
            progress.set(processed_rows=total, force=True)
            if plan.errors and not job.good_rows_only:
                raise ImportRefused(plan.errors)
            progress.set(status=ImportStatus.WRITING, processed_rows=0, force=True)
            outcome = write_plan(plan, actor=actor, job=job, progress=progress)
            progress.close()
            job.status = ImportStatus.DONE
            job.total_rows = total
            job.processed_rows = total
            job.created_count = outcome.created
            job.updated_count = outcome.updated
            job.unchanged_count = outcome.unchanged
            job.finished_at = timezone.now()
            _save_errors(job, outcome.errors)
            job.save()
            audit.record(
                actor=actor,
                action="unit.import",
                obj=job,
                scope_path=outcome.scope_path,
                changes={
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "errors": len(outcome.errors),
                },
                note=job.file_name,
            )
    except ImportRefused as refused:
        progress.close()
        return _finish_failed(job, refused.errors, total)
    except Exception:
        progress.close()
        logger.exception("Import job %s failed.", job.pk)
        return _finish_failed(
            job, [RowError(0, "", "导入时发生内部错误，未写入任何数据。请联系系统管理员。")], total
        )
    return job


def import_file(*, actor, path: Path | str, good_rows_only: bool = False) -> ImportJob:
    """Store a file from disk as a job and run it now (the management command's path)."""
    path = Path(path)
    with path.open("rb") as handle:
        job = create_job(
            actor=actor,
            file_name=path.name,
            content=File(handle, name=path.name),
            good_rows_only=good_rows_only,
            enqueue=False,
        )
    return run_job(job.pk)
