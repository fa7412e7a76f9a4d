"""A small plan on the test world: 广东省委 publishes key tasks for cities and counties, 荔湾区委
derives its list for the sub-districts and communities below it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from shuzhi.accounts.models import Role
from shuzhi.core.testing import World, make_user, unit_type
from shuzhi.yearplan.keytasks import services
from shuzhi.yearplan.keytasks.models import KeyTask, TaskList

YEAR = 2026
JUNE = datetime.date(YEAR, 6, 30)
OCTOBER = datetime.date(YEAR, 10, 31)


@dataclass
class Plan:
    province: TaskList
    study: KeyTask  # number: 100 %
    weak: KeyTask  # done / not done
    county: TaskList | None = None


def task_values(**overrides) -> dict:
    values = {
        "code": "1",
        "title": "理论学习全覆盖",
        "description": "党组织书记带头讲党课，党员参学率达到目标。",
        "target_kind": "number",
        "target_value": "100",
        "target_unit": "%",
        "weight": "20",
        "checkpoints": "06-30, 10-31",
    }
    values.update(overrides)
    return values


def province_plan(world: World, *, publish: bool = True) -> Plan:
    types = [
        unit_type("city"),
        unit_type("county"),
        unit_type("subdistrict"),
        unit_type("community"),
    ]
    task_list = services.create_list(
        actor=world.alice, host=world.province, year=YEAR, title="2026年度基层党建重点任务"
    )
    study = services.save_task(
        actor=world.alice, task_list=task_list, applies_to=types, **task_values()
    )
    weak = services.save_task(
        actor=world.alice,
        task_list=task_list,
        applies_to=types,
        **task_values(
            code="2",
            title="软弱涣散党组织整顿",
            description="排查整顿软弱涣散基层党组织，年底前全部销号。",
            target_kind="done",
            target_value="",
            target_unit="",
            weight="30",
        ),
    )
    if publish:
        task_list = services.publish_list(actor=world.alice, task_list=task_list)
    return Plan(province=task_list, study=study, weak=weak)


def county_organiser(world: World):
    return make_user("olga", (Role.ORGANISER, world.county_a1), full_name="区委组织部")


def township_secretary(world: World):
    return make_user("tina", (Role.SECRETARY, world.township_a1x), full_name="沙面书记")
