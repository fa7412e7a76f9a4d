"""The figures behind a component of a grade row, in words people read.

A component stores its raw figures as data (``{"total": 6, "closed": 2, …}``, ``{"counts":
{"good": 150, …}}``); the calculation panel shows them as a small table of Chinese labels and
values — grade codes by their names on the round's scale, never the stored keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Per component: the label and the unit of each raw figure, in the order shown.
RAW_FIGURES: dict[str, list[tuple[str, str, str]]] = {
    "annual_score": [("total", "年度考核得分", "分"), ("full_marks", "满分", "分")],
    "ballot_score": [("cast", "有效票", "张")],
    "rectification": [
        ("total", "问题总数", "个"),
        ("closed", "已销号", "个"),
        ("overdue", "逾期未完成", "项"),
        ("penalty", "每项逾期扣分", "分"),
    ],
    "adjustments": [
        ("bonus", "加分", "分"),
        ("deduction", "减分", "分"),
        ("span", "折算幅度", "分"),
    ],
}


def raw_rows(
    code: str, raw: Mapping[str, Any], grade_labels: Mapping[str, str]
) -> list[tuple[str, str]]:
    """``(label, value)`` rows for the raw figures of component ``code``; figures without a
    label are left out rather than shown by their key."""
    rows = [
        (label, f"{raw[key]} {unit}")
        for key, label, unit in RAW_FIGURES.get(code, [])
        if raw.get(key) not in (None, "")
    ]
    counts = raw.get("counts")
    if isinstance(counts, Mapping):
        rows += [
            (f"评价“{grade_labels.get(grade, grade)}”", f"{n} 票")
            for grade, n in counts.items()
            if grade in grade_labels
        ]
    ratings = raw.get("ratings")
    if isinstance(ratings, list) and ratings:
        rows.append(("点评等次", "、".join(grade_labels.get(r, "未评等次") for r in ratings)))
    if raw.get("renormalised"):
        rows.append(("权重", "部分类别无票，已按有票类别重新折算"))
    return rows
