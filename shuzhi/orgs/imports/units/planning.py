"""Checking every row and planning the writes."""

from __future__ import annotations

from shuzhi.kernel.scope import is_global, scopes_for
from shuzhi.orgs.imports.tabular import RowError, lost_characters, lost_message
from shuzhi.orgs.imports.units.common import (
    _BAD_CODE,
    _EXISTING_FIELDS,
    NO_PERMISSION,
    Existing,
    UnitPlan,
    UnitRows,
    unknown_parent,
    unusable_code,
)
from shuzhi.orgs.tree.models import (
    CODE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SHORT_NAME_MAX_LENGTH,
    Unit,
    UnitStatus,
    UnitType,
)

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


def _type_lookup() -> tuple[dict[str, int], dict[int, str]]:
    ids: dict[str, int] = {}
    names: dict[int, str] = {}
    for type_id, type_code, type_name in UnitType.objects.values_list("id", "code", "name"):
        ids[type_code] = type_id
        ids[type_code.lower()] = type_id
        ids[type_name] = type_id
        names[type_id] = type_name
    return ids, names


def plan_units(
    rows: UnitRows, *, actor, good_rows_only: bool, accept_question_marks: bool = False
) -> UnitPlan:
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
    if not accept_question_marks:
        for column, values in (("name", names), ("short_name", shorts)):
            if lost_characters("".join(values)):
                for i, value in enumerate(values):
                    if lost_characters(value):
                        fail(i, column, lost_message(value))

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
            fail(i, "code", unusable_code(code))
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
            fail(i, "parent_code", unknown_parent(p))
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
                # Read like a free code that cannot be used: nothing says the code exists.
                fail(i, "code", unusable_code(codes[i]))
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
        # Scope first: an existing parent out of scope reads like a code that is nowhere,
        # whatever its status.
        if j < 0 and parent_unit is not None and not scope.covers(parent_unit):
            fail(i, "parent_code", unknown_parent(parent_codes[i]))
            continue
        if parent_unit is not None and parent_unit[7] != UnitStatus.ACTIVE:
            fail(
                i,
                "parent_code",
                f"上级组织“{parent_codes[i]}”已合并或已撤销，不能在其下导入。",
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
