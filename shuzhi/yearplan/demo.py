"""Demo data for the year's plan: the demo province (江岭省) plans 2026 and checks it at 6/30.

- the province's 2026 key tasks for cities and counties (six tasks: numbers with units, a date,
  done/not done, and two read from the rectification ledger so nobody reports them), published
  by the demo organiser;
- the first city's counties derive their own lists for townships and sub-districts from the
  province's: each rewords the tasks for the county (one county leaves one task copied word
  for word, which the 照搬照抄 check flags), splits one task in two within its weight, and
  publishes;
- progress at 6/30 from every city and county on the province's tasks and from every township
  of the deriving counties on theirs, some behind schedule (fixed seed);
- the province's request for 6/30 progress and a 催办单 to a few units behind, shown on the
  matrix.

Every write goes through the services as the demo organiser, so the audit trail is the real
one. It does nothing when the province already has a 2026 list.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from shuzhi.orgs.demo import PROVINCE_CODE
from shuzhi.orgs.tree.models import Unit, UnitStatus, UnitType
from shuzhi.yearplan.duties import services as duty_services
from shuzhi.yearplan.duties.models import DutyRole
from shuzhi.yearplan.keytasks import services
from shuzhi.yearplan.keytasks.models import TaskList
from shuzhi.yearplan.progress import services as progress_services
from shuzhi.yearplan.progress.models import CellState

YEAR = 2026
JUNE = datetime.date(YEAR, 6, 30)
SEED = "jiangling-2026-plan"
DERIVING_COUNTIES = 3

# (code, title, description, kind, value, unit, date, weight, source)
PROVINCE_TASKS = [
    (
        "1",
        "软弱涣散基层党组织整顿",
        "全面排查软弱涣散基层党组织，逐个制定整顿方案，年底前整顿转化到位、销号清零。",
        "done",
        None,
        "",
        None,
        "20",
        "manual",
    ),
    (
        "2",
        "党员教育培训全覆盖",
        "依托党校和党员教育阵地，分级分类开展党员集中培训，年度参训党员占比达到目标。",
        "number",
        "100",
        "%",
        None,
        "20",
        "manual",
    ),
    (
        "3",
        "村级集体经济发展",
        "推动集体经济薄弱村增收，年收入10万元以上村占比达到目标。",
        "number",
        "85",
        "%",
        None,
        "15",
        "manual",
    ),
    (
        "4",
        "换届后班子建设“回头看”",
        "对村（社区）“两委”班子运行情况开展一次“回头看”，问题班子限期调整。",
        "date",
        None,
        "",
        datetime.date(YEAR, 9, 30),
        "15",
        "manual",
    ),
    (
        "5",
        "述职评议问题整改",
        "上年度述职评议发现的问题按期整改销号，整改完成率自动取自整改台账。",
        "number",
        "90",
        "%",
        None,
        "20",
        "rect_rate",
    ),
    (
        "6",
        "逾期整改问题清零",
        "逾期未整改问题数自动取自整改台账，不超过目标。",
        "number",
        "0",
        "个",
        None,
        "10",
        "rect_overdue",
    ),
]

# How a county rewords the province's tasks for its townships (task code → description).
COUNTY_WORDS = {
    "1": "{county}对排查出的软弱涣散村（社区）党组织实行县级领导包联，一村一策，10月底前完成转化。",
    "2": "{county}乡镇（街道）党委每季度至少组织一次党员集中轮训，流动党员通过线上补学。",
    "3": "{county}推行“党组织+合作社”模式，集体经济薄弱村年内全部实现稳定增收。",
    "4": "{county}组织部会同乡镇（街道）党委逐村（社区）开展“回头看”，9月底前完成。",
    "5": "{county}乡镇（街道）对上年度问题逐条建账，按期整改销号。",
    "6": "{county}乡镇（街道）逾期整改问题清零。",
}


def _organiser():
    User = get_user_model()
    return (
        User.objects.filter(username="organiser").first()
        or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )


def _types(*codes: str) -> list[UnitType]:
    return list(UnitType.objects.filter(code__in=codes))


def _values(row, **over) -> dict:
    code, title, description, kind, value, unit, date, weight, source = row
    values = {
        "code": code,
        "title": title,
        "description": description,
        "target_kind": kind,
        "target_value": value,
        "target_unit": unit,
        "target_date": date,
        "weight": weight,
        "checkpoints": "06-30, 10-31",
        "source": source,
    }
    values.update(over)
    return values


def _report_all(actor, task_list: TaskList, units: list[Unit], rng: random.Random) -> int:
    """Progress at 6/30 for each manual task of ``task_list`` from each unit; about a quarter
    of the cells fall behind."""
    count = 0
    for task in task_list.tasks.all():
        if task.source != "manual":
            continue
        for unit in units:
            behind = rng.random() < 0.25
            kwargs: dict[str, Any]
            if task.target_kind == "number":
                target = task.target_value or Decimal("100")
                share = rng.uniform(0.15, 0.4) if behind else rng.uniform(0.55, 1.05)
                value = (target * Decimal(str(round(share, 2)))).quantize(Decimal("1"))
                kwargs = {"value": value}
            else:
                state = (
                    CellState.BEHIND
                    if behind
                    else rng.choice([CellState.ON_TRACK, CellState.ON_TRACK, CellState.DONE])
                )
                kwargs = {"state": state}
            note = "进度滞后，已制定赶进度措施。" if behind else "按计划推进。"
            progress_services.report_progress(
                actor=actor, task=task, unit=unit, checkpoint=JUNE, note=note, **kwargs
            )
            count += 1
    return count


MEMBER_ITEMS = [
    ("组织工作", "抓好发展党员和党员教育管理，年内完成党员集中轮训。"),
    ("宣传思想工作", "组织“三会一课”专题学习，书记讲党课不少于2次。"),
    ("纪检工作", "对软弱涣散党组织整顿情况开展专项监督。"),
]


def _seed_duties(actor, counties: list[Unit], active) -> int:
    """Responsibility lists: each deriving county's (filed and approved by the province) and
    those of six of their townships (filed, one returned with comments, the rest
    waiting for review)."""
    count = 0
    for county in counties:
        duty_list = duty_services.start_list(actor=actor, unit=county, year=YEAR)
        for portfolio, task in MEMBER_ITEMS[:2]:
            duty_services.add_item(
                actor=actor,
                duty_list=duty_list,
                role=DutyRole.DEPARTMENT,
                department=f"{county.name}组织部",
                portfolio=portfolio,
                task=task,
                deadline=datetime.date(YEAR, 11, 30),
            )
        duty_list = duty_services.file_list(actor=actor, duty_list=duty_list)
        duty_services.review_list(actor=actor, duty_list=duty_list, approve=True)
        count += 1
    if counties:
        townships = active.filter(
            parent__in=counties, type__code__in=["township", "subdistrict"]
        ).order_by("code")[:6]
        for position, township in enumerate(townships):
            duty_list = duty_services.start_list(actor=actor, unit=township, year=YEAR)
            portfolio, task = MEMBER_ITEMS[position % len(MEMBER_ITEMS)]
            duty_services.add_item(
                actor=actor,
                duty_list=duty_list,
                role=DutyRole.DEPARTMENT,
                department="党建工作办公室",
                portfolio=portfolio,
                task=task,
                deadline=datetime.date(YEAR, 10, 31),
            )
            duty_list = duty_services.file_list(actor=actor, duty_list=duty_list)
            if position == 0:
                duty_services.review_list(
                    actor=actor,
                    duty_list=duty_list,
                    approve=False,
                    comment="请补充班子成员按分管领域的事项（一岗双责）。",
                )
            count += 1
    return count


def seed_yearplan_demo(stdout=None) -> TaskList | None:
    """Seed the 2026 plan of the demo province (see the module docstring)."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    actor = _organiser()
    if province is None or actor is None:
        return None
    if TaskList.objects.filter(host=province, year=YEAR).exists():
        return None
    rng = random.Random(SEED)
    with transaction.atomic():
        top = services.create_list(
            actor=actor,
            host=province,
            year=YEAR,
            title="江岭省2026年度抓基层党建重点任务清单",
            doc_number="江组通〔2026〕3号",
        )
        for row in PROVINCE_TASKS:
            services.save_task(
                actor=actor, task_list=top, applies_to=_types("city", "county"), **_values(row)
            )
        top = services.publish_list(actor=actor, task_list=top)
        parents = {t.code: t for t in top.tasks.all()}
        active = Unit.objects.filter(status=UnitStatus.ACTIVE)
        cities = list(active.filter(parent=province, type__code="city").order_by("code"))
        counties = list(active.filter(parent__in=cities, type__code="county").order_by("code"))
        reports = _report_all(actor, top, [*cities, *counties], rng)
        first_city = cities[0] if cities else None
        deriving = (
            list(
                active.filter(parent=first_city, type__code="county").order_by("code")[
                    :DERIVING_COUNTIES
                ]
            )
            if first_city
            else []
        )
        lists = 0
        for position, county in enumerate(deriving):
            derived = services.create_list(
                actor=actor,
                host=county,
                year=YEAR,
                title=f"{county.name}2026年度基层党建重点任务清单",
                parent_list=top,
            )
            for task in derived.tasks.order_by("sort_order"):
                row = next(r for r in PROVINCE_TASKS if r[0] == task.code)
                description = COUNTY_WORDS[task.code].format(county=county.name)
                if position == 0 and task.code == "4":
                    description = row[2]  # left word for word: the check flags it
                weight = "10" if task.code == "2" else row[7]
                services.save_task(
                    actor=actor,
                    task_list=derived,
                    task=task,
                    applies_to=_types("township", "subdistrict"),
                    **_values(
                        row, description=description, derived_from=parents[task.code], weight=weight
                    ),
                )
            services.save_task(
                actor=actor,
                task_list=derived,
                applies_to=_types("township", "subdistrict"),
                **_values(
                    PROVINCE_TASKS[1],
                    code="2.2",
                    title="流动党员教育管理",
                    description=f"{county.name}建立流动党员台账外的联系机制，流动党员年内参训率达到目标。",
                    target_value="90",
                    weight="10",
                    derived_from=parents["2"],
                ),
            )
            derived = services.publish_list(actor=actor, task_list=derived)
            townships = list(
                active.filter(parent=county, type__code__in=["township", "subdistrict"])
            )
            reports += _report_all(actor, derived, townships, rng)
            lists += 1
        duty_lists = _seed_duties(actor, deriving, active)
        progress_services.request_progress(
            actor=actor, task_list=top, checkpoint=JUNE, note="请各地如实填报上半年重点任务进度。"
        )
        behind = list(
            active.filter(
                pk__in=top.tasks.filter(progress_reports__state=CellState.BEHIND).values(
                    "progress_reports__unit"
                )
            ).order_by("code")[:5]
        )
        if behind:
            progress_services.send_notices(
                actor=actor, task_list=top, units=behind, level="urge", checkpoint=JUNE
            )
    if stdout is not None:
        stdout.write(
            f"已载入2026年度重点任务：省级清单 1 份、县级派生清单 {lists} 份、"
            f"责任清单 {duty_lists} 份、6月30日进度 {reports} 条、催办单 {len(behind)} 份。"
        )
    return top
