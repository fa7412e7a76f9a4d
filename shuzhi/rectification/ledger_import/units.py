"""Which unit each ledger row belongs to: by code, by exact name, then by the name without
the usual suffixes and by the unit's short name — always within the import's scope, never a
guess: a name that fits several units, or none, is listed with its closest candidates for the
user to pick in the preview (the picks come back as ``picks``: name → unit id)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from shuzhi.orgs.tree.models import Unit

# (id, path, depth, status, name, short_name)
UnitInfo = tuple[int, str, int, str, str, str]
_UNIT_FIELDS = ("id", "path", "depth", "status", "name", "short_name")
CANDIDATES = 5
# Prefix and suffixes a county writes or leaves out: 安塘镇 is 安塘镇党委, 中共安塘镇委员会.
_PREFIX = re.compile(r"^(?:中国共产党|中共)")
_SUFFIX = re.compile(r"(?:党工委|党总支|党支部|委员会|党委|党组|总支|支部|委)$")


def stem(name: str) -> str:
    """A unit name without 中共 and without its party-organisation suffix (two at most, as in
    “安塘镇党委委员会”), never shorter than two characters."""
    text = _PREFIX.sub("", re.sub(r"\s+", "", name))
    for _ in range(2):
        shorter = _SUFFIX.sub("", text)
        if shorter == text or len(shorter) < 2:
            break
        text = shorter
    return text


def units_by(field_name: str, values: Iterable[str], scope_path: str = "") -> list[tuple]:
    """``(value, *UnitInfo)`` of the units whose ``field_name`` is one of ``values``."""
    qs = Unit.objects.order_by()
    if scope_path:
        qs = qs.filter(path__startswith=scope_path)
    wanted = sorted(set(values))
    found: list[tuple] = []
    for start in range(0, len(wanted), 5000):
        found.extend(
            qs.filter(**{f"{field_name}__in": wanted[start : start + 5000]}).values_list(
                field_name, *_UNIT_FIELDS
            )
        )
    return found


@dataclass
class Candidate:
    """A unit offered for a name the file gives."""

    id: int
    name: str
    code: str


@dataclass
class NameMatch:
    """How each distinct name was matched: ``found`` for a single unit, ``candidates`` (and
    ``ambiguous``) for a name the user must decide."""

    found: dict[str, UnitInfo] = field(default_factory=dict)
    unresolved: dict[str, list[Candidate]] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)


def match_names(names: set[str], scope: Unit, picks: dict[str, int]) -> NameMatch:
    """Match the names within ``scope``'s subtree: the user's pick, the exact name, the short
    name, then the stem of either; several fits or none leave the name unresolved."""
    result = NameMatch()
    if not names:
        return result
    by_name: dict[str, list[UnitInfo]] = {}
    for row in units_by("name", names, scope.path):
        by_name.setdefault(row[0], []).append(row[1:])
    picked_ids = {int(v) for k, v in picks.items() if k in names and str(v).isdigit()}
    picked = {row[1]: row[1:] for row in units_by("id", map(str, picked_ids), scope.path)}
    rest: set[str] = set()
    for name in names:
        pick = picks.get(name)
        if pick is not None and str(pick).isdigit() and int(pick) in picked:
            result.found[name] = picked[int(pick)]
        elif len(by_name.get(name, [])) == 1:
            result.found[name] = by_name[name][0]
        else:
            rest.add(name)
    if not rest:
        return result
    # The rest are looked for among every unit of the scope (read once, only when needed).
    scope_units = list(
        Unit.objects.filter(path__startswith=scope.path)
        .order_by("path")
        .values_list(*_UNIT_FIELDS, "code")
    )
    by_short: dict[str, list[tuple]] = {}
    by_stem: dict[str, list[tuple]] = {}
    for unit in scope_units:
        if unit[5]:
            by_short.setdefault(unit[5], []).append(unit)
        keys = {stem(unit[4])} | ({stem(unit[5])} if unit[5] else set())
        for key in keys:
            by_stem.setdefault(key, []).append(unit)
    for name in rest:
        exact = [u for u in scope_units if u[4] == name] if name in by_name else []
        fits = exact or by_short.get(name) or by_stem.get(stem(name)) or []
        if len(fits) == 1:
            result.found[name] = fits[0][:6]
            continue
        if fits:
            result.ambiguous.add(name)
            chosen = fits[:CANDIDATES]
        else:
            close = difflib.get_close_matches(stem(name), list(by_stem), n=CANDIDATES, cutoff=0.5)
            seen: set[int] = set()
            chosen = []
            for key in close:
                for unit in by_stem[key]:
                    if unit[0] not in seen:
                        seen.add(unit[0])
                        chosen.append(unit)
            chosen = chosen[:CANDIDATES]
        result.unresolved[name] = [Candidate(u[0], u[4], u[6]) for u in chosen]
    return result


def unresolved_message(name: str, scope: Unit, match: NameMatch) -> str:
    """Why a name was not matched, with its candidates, for the row's error."""
    candidates = match.unresolved.get(name, [])
    listed = "、".join(f"{c.name}（{c.code}）" for c in candidates)
    if name in match.ambiguous:
        return (
            f"导入范围内有 {len(candidates)} 个组织与“{name}”相符（{listed}）："
            "请在预览中选择，或改填组织代码。"
        )
    text = f"导入范围“{scope.name}”内没有名为“{name}”的组织"
    if listed:
        return f"{text}，最接近的是：{listed}。请在预览中选择，或改填组织代码。"
    return f"{text}。"
