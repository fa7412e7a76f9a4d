"""Demo contact points and a year of visits in the demo province (江岭省).

For the first city's first counties, each county secretary and the secretaries of its first
townships designate one or two contact points below them (a township or a village, with a
reason) and make between one and six visits to each during 2026 — some short of the four
agreed — with varied purposes, notes, people met, a few problems found (recorded in the ledger
with source 领导调研走访) and a few open items helped along. It goes through the services,
acting as the demo organiser, so every write is audited; it does nothing when the province's
leaders already have contact points. Fixed seed: the same demo on every machine.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from shuzhi.core import clock
from shuzhi.orgs.demo import PROVINCE_CODE
from shuzhi.orgs.people.models import Post, PostRole
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification.models import NOT_CLOSED_STATUSES, Problem

from . import services
from .models import ContactPoint, VisitPurpose

YEAR = 2026
SEED = "jiangling-field-2026"
COUNTIES = 4
TOWNSHIPS_PER_COUNTY = 3

REASONS = [
    "班子力量较弱，需要重点帮带",
    "集体经济薄弱，村级收入不足5万元",
    "新任书记，工作经验不足",
    "党员老龄化严重，发展党员困难",
    "上年度述职评议等次为一般",
    "城乡结合部，流动党员较多",
]
NOTES = {
    VisitPurpose.RESEARCH: [
        "听取支部工作汇报，查看三会一课记录",
        "走访困难党员和老党员，了解村级组织运转情况",
        "座谈了解集体经济项目进展",
    ],
    VisitPurpose.LESSON: [
        "以“学习贯彻党的二十届四中全会精神”为题讲专题党课",
        "结合乡村振兴给全体党员上党课",
    ],
    VisitPurpose.SOLVE: [
        "协调解决村活动阵地维修资金",
        "推动解决灌溉水渠清淤问题",
    ],
    VisitPurpose.SUPERVISE: [
        "督导软弱涣散整顿措施落实",
        "督导换届后班子运行情况",
    ],
    VisitPurpose.OTHER: ["参加支部主题党日活动"],
}
PEOPLE = ["支部书记、村委会主任", "老党员3名、群众代表5名", "驻村第一书记", ""]
FINDINGS = [
    "三会一课记录有事后补写痕迹",
    "党员活动室长期闲置，未正常开放",
    "党费收缴不及时，台账不规范",
    "发展党员连续两年空白",
    "村务公开栏内容未及时更新",
    "集体经济合同管理不规范",
]


def _actor():
    User = get_user_model()
    return (
        User.objects.filter(username="organiser").first()
        or User.objects.filter(is_superuser=True, is_active=True).first()
    )


def _secretary_posts(units: list[Unit], on: datetime.date) -> list[Post]:
    return list(
        Post.objects.filter(unit__in=units, role=PostRole.SECRETARY)
        .on(on)
        .select_related("person", "unit")
        .order_by("unit__path")
    )


@transaction.atomic
def seed_field_demo(stdout=None) -> int | None:
    """Seed the contact points and visits; answers the number of visits, or None if skipped."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    actor = _actor()
    if (
        province is None
        or actor is None
        or ContactPoint.objects.filter(unit__path__startswith=province.path).exists()
    ):
        if stdout is not None:
            stdout.write("演示联系点已存在或没有演示省份，跳过。")
        return None
    rng = random.Random(SEED)
    today = clock.today()
    last_day = min(today, datetime.date(YEAR, 12, 31))
    city = Unit.objects.active().filter(parent=province, type__code="city").order_by("code").first()
    counties = list(
        Unit.objects.active().filter(parent=city, type__code="county").order_by("code")[:COUNTIES]
    )
    townships = []
    for county in counties:
        townships += list(
            Unit.objects.active().filter(parent=county).order_by("code")[:TOWNSHIPS_PER_COUNTY]
        )
    visits = 0
    for post in _secretary_posts(counties + townships, datetime.date(YEAR, 1, 1)):
        children = list(Unit.objects.active().filter(parent=post.unit).order_by("code")[:12])
        if not children:
            continue
        for unit in rng.sample(children, k=min(len(children), rng.choice((1, 2, 2)))):
            point = services.designate_contact_point(
                actor=actor,
                leader=post.person,
                unit=unit,
                year=YEAR,
                reason=rng.choice(REASONS),
            )
            open_items = list(
                Problem.objects.filter(
                    unit_path__startswith=unit.path, year=YEAR, status__in=NOT_CLOSED_STATUSES
                ).order_by("id")[:2]
            )
            for _ in range(rng.choice((1, 2, 3, 4, 4, 5, 6))):
                purpose = rng.choice(list(VisitPurpose))
                found = [rng.choice(FINDINGS)] if rng.random() < 0.25 else []
                solved = [open_items.pop()] if open_items and rng.random() < 0.3 else []
                services.record_visit(
                    actor=actor,
                    leader=post.person,
                    unit=point.unit,
                    visited_on=datetime.date(YEAR, 1, 1)
                    + datetime.timedelta(
                        days=rng.randrange(
                            (last_day.toordinal() - datetime.date(YEAR, 1, 1).toordinal()) + 1
                        )
                    ),
                    purpose=purpose,
                    note=rng.choice(NOTES[purpose]),
                    people_met=rng.choice(PEOPLE),
                    problems_found=found,
                    problems_solved=solved,
                )
                visits += 1
    if stdout is not None:
        stdout.write(f"已生成演示联系点与调研走访：{visits} 次走访。")
    return visits
