"""Compare two versions of a report, part by part, for the writer and the reviewer.

Each part (the title, the three sections, every must-answer topic, the indicator table and the
carried items) is cut into sentences; :mod:`difflib` aligns the sentences, and a changed
sentence is compared again character by character so that a corrected figure shows as one
small mark rather than a whole sentence struck out. The result is plain data: templates show
it side by side (left: old, right: new) or inline (``<del>``/``<ins>``), escaping the text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from shuzhi.reports.reports.models import SECTIONS

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?|\n")


@dataclass(frozen=True)
class Segment:
    kind: str  # equal / insert / delete
    text: str


@dataclass
class Row:
    """One aligned pair of sentences (or runs of sentences); ``tag`` as in difflib."""

    tag: str
    left: list[Segment] = field(default_factory=list)
    right: list[Segment] = field(default_factory=list)


@dataclass
class PartDiff:
    """The comparison of one part of the report."""

    title: str
    rows: list[Row]
    inline: list[Segment]

    @property
    def changed(self) -> bool:
        return any(row.tag != EQUAL for row in self.rows)


def sentences(text: str) -> list[str]:
    """``text`` cut after 。！？； and at line breaks (kept, so nothing is lost)."""
    return [s for s in SENTENCE_RE.findall(text or "") if s]


def _chars(old: str, new: str) -> tuple[list[Segment], list[Segment], list[Segment]]:
    """Character-level (left, right, inline) segments of one changed sentence."""
    left: list[Segment] = []
    right: list[Segment] = []
    inline: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            piece = Segment(EQUAL, old[i1:i2])
            left.append(piece)
            right.append(piece)
            inline.append(piece)
            continue
        if i2 > i1:
            left.append(Segment(DELETE, old[i1:i2]))
            inline.append(Segment(DELETE, old[i1:i2]))
        if j2 > j1:
            right.append(Segment(INSERT, new[j1:j2]))
            inline.append(Segment(INSERT, new[j1:j2]))
    return left, right, inline


def compare_text(title: str, old: str, new: str) -> PartDiff:
    """Compare one part's text."""
    a, b = sentences(old), sentences(new)
    rows: list[Row] = []
    inline: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            text = "".join(a[i1:i2])
            rows.append(Row(EQUAL, [Segment(EQUAL, text)], [Segment(EQUAL, text)]))
            inline.append(Segment(EQUAL, text))
        elif tag == DELETE:
            text = "".join(a[i1:i2])
            rows.append(Row(DELETE, [Segment(DELETE, text)], []))
            inline.append(Segment(DELETE, text))
        elif tag == INSERT:
            text = "".join(b[j1:j2])
            rows.append(Row(INSERT, [], [Segment(INSERT, text)]))
            inline.append(Segment(INSERT, text))
        else:
            for old_s, new_s in zip_longest(a[i1:i2], b[j1:j2], fillvalue=""):
                left, right, marks = _chars(old_s, new_s)
                rows.append(Row("replace", left, right))
                inline.extend(marks)
    return PartDiff(title, rows, _merged(inline))


def _merged(segments: list[Segment]) -> list[Segment]:
    """Join neighbouring segments of the same kind (fewer tags in the page)."""
    out: list[Segment] = []
    for seg in segments:
        if out and out[-1].kind == seg.kind:
            out[-1] = Segment(seg.kind, out[-1].text + seg.text)
        elif seg.text:
            out.append(seg)
    return out


def _indicator_text(rows: list[dict]) -> str:
    return "\n".join(
        f"{r.get('name', '')}：{r.get('value', '')}{r.get('unit', '')}"
        + (f"（{r['note']}）" if r.get("note") else "")
        for r in rows
    )


def _carried_item_text(row: dict) -> str:
    return (
        f"第{row.get('serial', '')}号：{row.get('answer', '')}（佐证：{row.get('evidence', '')}）"
    )


def _carried_key(row: dict) -> str:
    # Versions key their items by the ledger problem; very old contents may lack it.
    return str(row.get("problem") or f"serial:{row.get('serial', '')}")


def compare_carried(title: str, old: list[dict], new: list[dict]) -> PartDiff:
    """Compare the carried items one by one, matched by their ledger problem.

    Aligning the items as one text mixed them up whenever they moved (a renumbered problem, a
    version stored in another order) or shared sentences (the same evidence, "建立长效机制。"):
    an unchanged item then showed as struck out and added again. Matched by problem, an item
    whose answer and evidence are the same is one unchanged row, whatever happened around it.
    """
    before = {_carried_key(r): r for r in old}
    after = {_carried_key(r): r for r in new}
    rows: list[Row] = []
    inline: list[Segment] = []
    for key in dict.fromkeys([*after, *before]):
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None:
            part = compare_text(title, _carried_item_text(a), _carried_item_text(b))
        elif b is not None:
            part = compare_text(title, "", _carried_item_text(b))
        else:
            part = compare_text(title, _carried_item_text(a or {}), "")
        if part.changed:
            rows.extend(part.rows)
        else:
            text = _carried_item_text(b or {})
            rows.append(Row(EQUAL, [Segment(EQUAL, text)], [Segment(EQUAL, text)]))
        inline.extend([*part.inline, Segment(EQUAL, "\n")])
    return PartDiff(title, rows, _merged(inline[:-1]))


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[PartDiff]:
    """Compare two version contents (the shape of :func:`services.snapshot`), part by part."""
    parts = [compare_text("标题", old.get("title", ""), new.get("title", ""))]
    old_sections, new_sections = old.get("sections") or {}, new.get("sections") or {}
    for code, label in SECTIONS:
        parts.append(compare_text(label, old_sections.get(code, ""), new_sections.get(code, "")))
    old_topics = {t["code"]: t for t in old.get("topics") or []}
    new_topics = {t["code"]: t for t in new.get("topics") or []}
    for code in list(dict.fromkeys([*old_topics, *new_topics])):
        title = (new_topics.get(code) or old_topics[code]).get("title") or code
        parts.append(
            compare_text(
                f"必答题：{title}",
                old_topics.get(code, {}).get("answer", ""),
                new_topics.get(code, {}).get("answer", ""),
            )
        )
    parts.append(
        compare_text(
            "主要指标",
            _indicator_text(old.get("indicators") or []),
            _indicator_text(new.get("indicators") or []),
        )
    )
    parts.append(
        compare_carried("上年度问题整改情况", old.get("carried") or [], new.get("carried") or [])
    )
    return parts


def as_dict(parts: list[PartDiff]) -> list[dict[str, Any]]:
    """The comparison as JSON for the API."""
    return [
        {
            "title": p.title,
            "changed": p.changed,
            "inline": [{"kind": s.kind, "text": s.text} for s in p.inline],
            "rows": [
                {
                    "tag": r.tag,
                    "left": [{"kind": s.kind, "text": s.text} for s in r.left],
                    "right": [{"kind": s.kind, "text": s.text} for s in r.right],
                }
                for r in p.rows
            ],
        }
        for p in parts
    ]
