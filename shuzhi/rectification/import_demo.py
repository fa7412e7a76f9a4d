"""Demo of importing a county's own ledger: a saved column mapping for the inspector's city and
one upload waiting in its preview — a title row, a two-row header with 责任主体 merged over
责任领导 / 责任人, the county's own column names, units written without their suffix and one
name that fits no unit, so the preview shows what it understood and asks about the rest."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from shuzhi.core import clock
from shuzhi.exports.cells import append_row
from shuzhi.exports.sheets import new_workbook, print_setup, workbook_bytes
from shuzhi.orgs.tree.models import Unit, UnitStatus

from . import ledger_import
from .ledger_import.preview import build_preview, save_mapping
from .ledger_import.units import stem
from .models import LedgerMapping

MAPPING_NAME = "巡察反馈季度台账"
ITEMS = [
    ("巡察", "党委理论学习中心组学习流于形式，研讨发言照本宣科", "3月底", "整改中"),
    ("巡察", "软弱涣散村党组织整顿转化进度滞后，2个村未达标", "2026年10月31日前", "未完成"),
    ("专项督查", "发展党员计划执行不严格，个别支部超计划发展", "9月30日前", ""),
    ("自查", "村级组织活动场所使用率低，部分场所挪作他用", "长期坚持", "整改中"),
    ("巡察", "“三会一课”记录补记、代记现象仍有发生", "2026年底", ""),
]


def _workbook(names: list[str]) -> bytes:
    workbook, sheet = new_workbook("整改台账")
    append_row(sheet, ["2026年度巡察反馈问题整改落实台账"])
    append_row(
        sheet, ["填报单位：市委组织部组织二科", None, None, None, None, "填报时间：2026年11月"]
    )
    append_row(
        sheet, ["编号", "单位", "问题类别", "存在问题", "责任主体", None, "整改时限", "完成情况"]
    )
    append_row(sheet, [None, None, None, None, "责任领导", "责任人", None, None])
    leaders = ["王建国", "李红梅", "赵志强", "孙丽", "周海涛"]
    people = ["刘洋", "陈静", "杨帆", "黄伟", "吴敏"]
    for k, (source, text, due, state) in enumerate(ITEMS):
        name = names[k % len(names)]
        append_row(sheet, [k + 1, name, source, text, leaders[k], people[k], due, state])
    append_row(
        sheet,
        [
            len(ITEMS) + 1,
            "城东新区",
            "巡察",
            "新区党工委班子民主生活会批评不够辣味",
            "",
            "",
            "12月底",
            "",
        ],
    )
    for merged in ("A1:H1", "E3:F3", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "G3:G4", "H3:H4"):
        sheet.merge_cells(merged)
    print_setup(sheet, title_rows="3:4")  # the two-row header, as a county prints its ledger
    return workbook_bytes(workbook)


def seed_import_demo(stdout=None) -> LedgerMapping | None:
    """Seed the mapping and the waiting upload (skipped when the mapping exists)."""
    inspector = get_user_model().objects.filter(username="inspector", is_active=True).first()
    grant = inspector.grants.select_related("unit").first() if inspector is not None else None
    if grant is None or LedgerMapping.objects.filter(host=grant.unit).exists():
        if stdout is not None:
            stdout.write("台账导入演示已存在或没有演示督查账号，跳过。")
        return None
    host = grant.unit
    children = list(Unit.objects.filter(parent=host, status=UnitStatus.ACTIVE).order_by("code")[:3])
    names = [stem(unit.name) for unit in children] or [host.name]
    content = _workbook(names)
    job = ledger_import.create_import(
        actor=inspector,
        unit=host,
        year=clock.today().year,
        file_name="2026年度巡察反馈问题整改落实台账.xlsx",
        content=content,
        preview=True,
    )
    shown = build_preview(job)
    mapping = None
    if shown.rows is not None:
        mapping = save_mapping(actor=inspector, host=host, name=MAPPING_NAME, rows=shown.rows)
    if stdout is not None:
        stdout.write(f"台账导入演示：{host.name} 有一份待确认列对应的台账和一个已保存的方案。")
    return mapping
