"""Responsibility lists: pre-filled from the key tasks, items added with clear messages,
claiming only where the host switched it on, filed and approved or returned."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from shuzhi.core.models import AuditEntry, Notification
from shuzhi.yearplan.duties import services
from shuzhi.yearplan.duties.models import DutyItem, DutyRole, DutyStatus
from shuzhi.yearplan.keytasks import services as task_services

from .setup import YEAR, province_plan, township_secretary

pytestmark = pytest.mark.django_db


def test_list_is_prefilled_from_the_key_tasks(world):
    plan = province_plan(world)
    tina = township_secretary(world)
    duty_list = services.start_list(actor=tina, unit=world.township_a1x, year=YEAR)
    items = list(duty_list.items.all())
    assert [i.key_task_id for i in items] == [plan.study.pk, plan.weak.pk]
    assert all(i.role == DutyRole.SECRETARY for i in items)
    assert items[0].task == "理论学习全覆盖：目标100 %"
    assert items[0].deadline == datetime.date(YEAR, 12, 31)
    with pytest.raises(ValidationError):
        services.start_list(actor=tina, unit=world.township_a1x, year=YEAR)
    with pytest.raises(PermissionDenied):
        services.start_list(actor=world.bob, unit=world.county_b1, year=YEAR)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"role": DutyRole.MEMBER, "person_name": "王委员"}, "portfolio", "一岗双责"),
        ({"role": DutyRole.DEPARTMENT}, "department", "责任部门"),
        ({"deadline": datetime.date(YEAR + 1, 1, 10)}, "deadline", "年内"),
        ({"task": " "}, "task", "请填写任务"),
    ],
)
def test_bad_items_are_refused_and_change_nothing(world, kwargs, field, words):
    province_plan(world)
    tina = township_secretary(world)
    duty_list = services.start_list(actor=tina, unit=world.township_a1x, year=YEAR)
    before = DutyItem.objects.count()
    call = {
        "role": DutyRole.SECRETARY,
        "task": "推进社区网格党建",
        "deadline": datetime.date(YEAR, 9, 30),
        "person_name": "沙面书记",
        **kwargs,
    }
    with pytest.raises(ValidationError) as exc:
        services.add_item(actor=tina, duty_list=duty_list, **call)
    assert words in " ".join(exc.value.message_dict[field])
    assert DutyItem.objects.count() == before


def test_claiming_is_off_by_default_and_gates_filing_when_on(world):
    province_plan(world)
    tina = township_secretary(world)
    duty_list = services.start_list(actor=tina, unit=world.township_a1x, year=YEAR)
    item = duty_list.items.get(key_task__code="1")
    with pytest.raises(ValidationError) as exc:
        services.claim_item(actor=tina, item=item)
    assert "未开启" in exc.value.messages[0]
    task_services.save_settings(
        actor=world.alice, host=world.county_a1, pledge_letters=False, claiming=True
    )
    with pytest.raises(ValidationError) as exc:
        services.file_list(actor=tina, duty_list=duty_list)
    assert "未认领" in exc.value.messages[0]
    for each in duty_list.items.all():
        services.claim_item(actor=tina, item=each)
    duty_list = services.file_list(actor=tina, duty_list=duty_list)
    assert duty_list.status == DutyStatus.FILED and duty_list.filed_at


def test_filed_with_the_superior_which_returns_then_approves(world):
    province_plan(world)
    tina = township_secretary(world)
    duty_list = services.start_list(actor=tina, unit=world.township_a1x, year=YEAR)
    duty_list = services.file_list(actor=tina, duty_list=duty_list)
    with pytest.raises(ValidationError):
        services.add_item(
            actor=tina,
            duty_list=duty_list,
            role=DutyRole.SECRETARY,
            task="x",
            deadline=datetime.date(YEAR, 5, 1),
            person_name="x",
        )
    with pytest.raises(PermissionDenied):
        services.review_list(actor=tina, duty_list=duty_list, approve=True)
    with pytest.raises(ValidationError) as exc:
        services.review_list(actor=world.alice, duty_list=duty_list, approve=False)
    assert "意见" in exc.value.messages[0]
    duty_list = services.review_list(
        actor=world.alice, duty_list=duty_list, approve=False, comment="请补充班子成员事项。"
    )
    assert duty_list.status == DutyStatus.RETURNED
    assert Notification.objects.filter(user=tina, body="请补充班子成员事项。").exists()
    services.add_item(
        actor=tina,
        duty_list=duty_list,
        role=DutyRole.MEMBER,
        person_name="王委员",
        portfolio="组织工作",
        task="抓好发展党员工作",
        deadline=datetime.date(YEAR, 11, 30),
    )
    duty_list = services.file_list(actor=tina, duty_list=duty_list)
    duty_list = services.review_list(actor=world.alice, duty_list=duty_list, approve=True)
    assert duty_list.status == DutyStatus.APPROVED
    assert AuditEntry.objects.filter(action="yearplan.duty.approve").count() == 1


def test_pages_start_add_and_file(world):
    province_plan(world)
    tina = township_secretary(world)
    client = Client()
    client.force_login(tina)
    assert "编制责任清单" in client.get("/plan/duties/?year=2026").content.decode()
    answer = client.post("/plan/duties/start/", {"unit": world.township_a1x.pk, "year": "2026"})
    assert answer.status_code == 302
    url = answer["Location"]
    answer = client.post(
        url, {"role": "member", "person_name": "王委员", "task": "发展党员", "deadline": ""}
    )
    body = answer.content.decode()
    assert "请填写完成时限" in body and 'value="王委员"' in body
    answer = client.post(
        url.replace("/duties/", "/duties/").rstrip("/") + "/move/", {"to": "filed"}
    )
    assert answer.status_code == 302
    assert "已报备案" in client.get(url).content.decode()
