"""Where a county's ledger keeps its header and what each of its columns means.

Real ledgers start with a title row or two (“安塘镇2026年度巡察反馈问题整改台账”, “填报单位：…”),
may spread their header over two rows — a group title merged over its sub-columns (责任主体
over 责任领导 / 责任人), with the other titles merged down both rows — and name their columns
in their own words. The words are looked up in ``columns.toml``, a list of synonyms kept as
data; a column whose title is in no list is shown to the user as “不使用” in the preview, where
it can be assigned, never dropped unseen.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from shuzhi.core.bulk.sheets import HeaderSpan

SYNONYMS_FILE = Path(__file__).with_name("columns.toml")
_NOISE = re.compile(r"[\s*＊\ufeff]|[（(]必填[)）]")
# Rows with this many recognised titles or more can be a header.
MIN_TITLES = 2
# The fields an item cannot do without (a unit comes from 组织代码 or 单位名称, or is the
# import's own unit when the file has neither).
REQUIRED = ("description", "source")


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Field key → the titles that name it, the first being the template's (read once)."""
    with SYNONYMS_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    return {key: tuple(entry["names"]) for key, entry in data.items()}


@cache
def _key_of_title() -> dict[str, str]:
    return {normalise(name): key for key, names in synonyms().items() for name in names}


def label_of(key: str) -> str:
    """The field's name as the product writes it (the template's column title)."""
    return synonyms()[key][0]


def normalise(cell: object) -> str:
    """A title without spaces, line breaks, asterisks or “（必填）”."""
    return _NOISE.sub("", str(cell if cell is not None else ""))


def recognise(title: str, group: str = "") -> str:
    """The field a column title names, or "" (tried alone, then after its group title)."""
    table = _key_of_title()
    key = table.get(normalise(title), "")
    if not key and group:
        key = table.get(normalise(group) + normalise(title), "")
    return key


def _titles(record: Sequence[Any]) -> int:
    return sum(1 for cell in record if recognise(str(cell or "")))


def _filled(record: Sequence[Any]) -> list[int]:
    return [i for i, cell in enumerate(record) if normalise(cell)]


def _sub_header(top: Sequence[Any], below: Sequence[Any]) -> bool:
    """Whether ``below`` continues the header ``top``: it names fields under cells of ``top``
    that are empty (merged from the left) or are group titles, and holds little else."""
    filled = _filled(below)
    if not filled:
        return False
    named = [i for i in filled if recognise(str(below[i]))]
    if not named or len(named) * 2 < len(filled):
        return False

    def above(i: int) -> str:
        return normalise(top[i]) if i < len(top) else ""

    return any(not above(i) or not recognise(above(i)) for i in named)


def _group_row(row: Sequence[Any], header: Sequence[Any]) -> bool:
    """Whether ``row`` sits over ``header`` as group titles (not a title or 填报单位 line)."""
    filled = _filled(row)
    if len(filled) < 2 or any(("：" in str(row[i]) or ":" in str(row[i])) for i in filled):
        return False
    return _sub_header(row, header)


def _combine(top: Sequence[Any], below: Sequence[Any]) -> list[str]:
    """One title per column: the sub-title under a group as “组/子”, else the title merged
    down from the upper row."""
    width = max(len(top), len(below))
    cells: list[str] = []
    group = ""
    for i in range(width):
        upper = normalise(top[i]) if i < len(top) else ""
        lower = normalise(below[i]) if i < len(below) else ""
        if upper:
            group = upper if lower else ""
        if lower:
            cells.append(f"{group}/{lower}" if group and group != lower else lower)
        else:
            cells.append(upper)
    return cells


def find_header(records: list[list[Any]]) -> int | HeaderSpan:
    """The header among the first rows: the row naming most fields (the first of equals),
    joined with the row below or above when the header spans two rows. A file whose titles
    are all unknown gets its first row of three or more cells as the header, to be mapped by
    hand in the preview."""
    scores = [_titles(record) for record in records]
    best = max(range(len(records)), key=lambda i: (scores[i], -i)) if records else 0
    if not records or scores[best] < MIN_TITLES:
        for index, record in enumerate(records):
            if len(_filled(record)) >= 3:
                return index
        return 0
    if best + 1 < len(records) and _sub_header(records[best], records[best + 1]):
        return HeaderSpan(best + 1, list(_combine(records[best], records[best + 1])))
    if best > 0 and _group_row(records[best - 1], records[best]):
        return HeaderSpan(best, list(_combine(records[best - 1], records[best])))
    return best


@dataclass
class Column:
    """One column of the user's file: its title, a few sample values and the field it feeds
    (``key`` "" for 不使用)."""

    position: int
    title: str
    key: str
    samples: list[str]

    @property
    def short_title(self) -> str:
        return self.title.rsplit("/", 1)[-1]


def auto_keys(titles: Sequence[str]) -> list[str]:
    """Each title's field by the synonyms; a field named twice goes to its first column only
    (the second is shown as 不使用, for the user to decide)."""
    keys: list[str] = []
    taken: set[str] = set()
    for title in titles:
        group, _slash, own = title.rpartition("/")
        key = recognise(own, group)
        if key in taken:
            key = ""
        taken.add(key)
        keys.append(key)
    return keys


def apply_saved(titles: Sequence[str], saved: dict[str, str]) -> list[str]:
    """The keys of a saved mapping (title → key) for these titles; titles it does not know
    fall back to the synonyms."""
    fallback = auto_keys(titles)
    return [saved.get(title, fallback[i]) for i, title in enumerate(titles)]


def missing(keys: Sequence[str]) -> list[str]:
    """The required fields no column feeds."""
    return [key for key in REQUIRED if key not in keys]


def missing_message(keys: Sequence[str], titles: Sequence[str]) -> str:
    """What is missing, naming the user's columns that feed nothing (so they can be mapped)."""
    absent = missing(keys)
    if not absent:
        return ""
    unused = [title for title, key in zip(titles, keys, strict=True) if not key and title]
    fields = "、".join(f"“{label_of(key)}”" for key in absent)
    text = f"没有哪一列对应{fields}。"
    if unused:
        text += f"未识别的列：{'、'.join(unused)}——请在下面为其中一列选择对应的字段。"
    else:
        text += "文件中没有未使用的列，请检查是否选错了文件。"
    return text


def duplicate_message(keys: Sequence[str], titles: Sequence[str]) -> str:
    """A field fed by two columns (a choice made by hand), naming both."""
    seen: dict[str, str] = {}
    for title, key in zip(titles, keys, strict=True):
        if not key:
            continue
        if key in seen:
            return f"列“{seen[key]}”和“{title}”都对应“{label_of(key)}”：请只保留一列。"
        seen[key] = title
    return ""
