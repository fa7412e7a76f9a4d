"""The progress matrix as an Excel workbook (what a host prints or files for 晒进度)."""

from __future__ import annotations

from shuzhi.exports.cells import append_row
from shuzhi.exports.sheets import (
    bold_row,
    column_widths,
    new_workbook,
    print_setup,
    workbook_bytes,
)

from .selectors import Matrix


def matrix_workbook(m: Matrix) -> bytes:
    """One row per unit, one column per task (state and figure), the unit's counts, and a
    last row per state with the roll-up by task."""
    workbook, sheet = new_workbook("进度矩阵")
    append_row(sheet, [f"{m.task_list.title}（{m.checkpoint:%Y年%m月%d日}节点）"])
    header = ["组织代码", "单位", *[f"{t.code} {t.title}" for t in m.tasks], "滞后", "已完成"]
    append_row(sheet, header)
    bold_row(sheet[2])
    for row in m.rows:
        cells = []
        for cell in row.cells:
            text = cell.label + (f" {cell.figure}" if cell.figure else "")
            if cell.notice:
                text += f"（{cell.notice}）"
            cells.append(text)
        append_row(
            sheet,
            [row.unit.code, row.unit.name, *cells, row.counts["behind"], row.counts["done"]],
        )
    for state, label in (
        ("done", "已完成"),
        ("on_track", "按计划推进"),
        ("behind", "滞后"),
        ("not_started", "未填报"),
    ):
        append_row(sheet, ["", f"合计：{label}", *[c[state] for c in m.by_task]])
    column_widths(sheet, [14, 24, *[18] * len(m.tasks), 8, 8])
    print_setup(sheet, title_rows="2:2")  # A4, landscape when wide, the header on every page
    return workbook_bytes(workbook)
