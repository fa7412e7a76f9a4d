"""Key-task lists: targets and checkpoints, derivation with 层层加码 and 照搬照抄, publication,
versions after publication and who reads a published list."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry, Notification
from shuzhi.core.testing import unit_type
from shuzhi.yearplan.keytasks import services
from shuzhi.yearplan.keytasks.models import KeyTask, TaskList
from shuzhi.yearplan.keytasks.policies import can_read, visible_lists

from .setup import YEAR, county_organiser, province_plan, task_values, township_secretary

pytestmark = pytest.mark.django_db


def _types():
    return [unit_type("subdistrict"), unit_type("community")]


def _refused(call, field: str, words: str):
    before = (KeyTask.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        call()
    assert words in " ".join(exc.value.message_dict[field])
    assert (KeyTask.objects.count(), AuditEntry.objects.count()) == before


def test_bad_targets_and_checkpoints_are_refused_and_change_nothing(world):
    plan = province_plan(world, publish=False)
    lst = plan.province

    def add(**kw):
        return lambda: services.save_task(
            actor=world.alice,
            task_list=lst,
            applies_to=_types(),
            **task_values(**{"code": "9", **kw}),
        )

    _refused(add(target_unit=""), "target_unit", "计量单位")
    _refused(add(target_value=""), "target_value", "目标值")
    _refused(add(checkpoints="06-30, 2027-01-15"), "checkpoints", "不能晚于年度结束")
    _refused(add(checkpoints="02-30"), "checkpoints", "不是有效日期")
    _refused(add(target_kind="date", target_date=None), "target_date", "完成时限")
    _refused(add(weight="0"), "weight", "权重")
    _refused(add(code="1"), "code", "已被")
    _refused(
        lambda: services.save_task(
            actor=world.alice, task_list=lst, applies_to=[], **task_values(code="9")
        ),
        "applies_to",
        "组织类型",
    )


def test_checkpoints_are_data_with_defaults(world):
    plan = province_plan(world)
    assert plan.study.checkpoints == ["06-30", "10-31"]
    assert plan.study.target_text == "100 %"


def test_derived_list_copies_parent_and_flags_verbatim_text(world):
    plan = province_plan(world)
    olga = county_organiser(world)
    county = services.create_list(
        actor=olga,
        host=world.county_a1,
        year=YEAR,
        title="荔湾区2026年度重点任务",
        parent_list=plan.province,
    )
    assert county.tasks.count() == 2
    findings = services.findings_for(county)
    assert [f.code for f in findings] == ["copy", "copy"]
    assert all(f.severity == "warning" for f in findings)
    study = county.tasks.get(code="1")
    services.save_task(
        actor=olga,
        task_list=county,
        task=study,
        applies_to=_types(),
        **task_values(
            description="街道、社区书记每季度讲一次党课，参学率 100%。",
            derived_from=plan.study,
        ),
    )
    assert [f.code for f in services.findings_for(county)] == ["copy"]


def test_layer_upon_layer_is_refused_with_the_rule(world):
    plan = province_plan(world)
    olga = county_organiser(world)
    county = services.create_list(
        actor=olga, host=world.county_a1, year=YEAR, title="荔湾区", parent_list=plan.province
    )
    # A new task not derived from the parent's: 层层加码.
    _refused(
        lambda: services.save_task(
            actor=olga,
            task_list=county,
            applies_to=_types(),
            **task_values(code="3", title="新增的台账检查"),
        ),
        "__all__",
        "层层加码",
    )
    # Splitting a task is allowed while the parts' weights stay within the parent's.
    services.save_task(
        actor=olga,
        task_list=county,
        task=county.tasks.get(code="1"),
        applies_to=_types(),
        **task_values(
            title="街道党课",
            weight="10",
            derived_from=plan.study,
            description="街道党课每季度一次。",
        ),
    )
    services.save_task(
        actor=olga,
        task_list=county,
        applies_to=_types(),
        **task_values(
            code="1b",
            title="社区党课",
            weight="5",
            derived_from=plan.study,
            description="社区党课每月一次。",
        ),
    )
    with pytest.raises(ValidationError) as exc:
        services.save_task(
            actor=olga,
            task_list=county,
            applies_to=_types(),
            **task_values(
                code="1c",
                title="机关党课",
                weight="10",
                derived_from=plan.study,
                description="机关党课每月一次。",
            ),
        )
    message = exc.value.message_dict["__all__"][0]
    assert "权重 25" in message and "不得层层加码" in message


def test_only_published_parent_same_year_ancestor(world):
    plan = province_plan(world, publish=False)
    olga = county_organiser(world)
    with pytest.raises(ValidationError) as exc:
        services.create_list(
            actor=olga, host=world.county_a1, year=YEAR, title="x", parent_list=plan.province
        )
    assert "已发布" in exc.value.message_dict["parent_list"][0]
    assert not TaskList.objects.filter(host=world.county_a1).exists()


def test_publication_is_visible_below_and_notifies(world):
    tina = township_secretary(world)
    plan = province_plan(world, publish=False)
    assert not can_read(tina, plan.province)
    assert not visible_lists(tina).exists()
    services.publish_list(actor=world.alice, task_list=plan.province)
    plan.province.refresh_from_db()
    assert can_read(tina, plan.province)
    assert list(visible_lists(tina)) == [plan.province]
    assert Notification.objects.filter(user=tina, kind="keytasks").count() == 1
    assert AuditEntry.objects.filter(action="yearplan.list.publish").count() == 1


def test_outsider_cannot_read_draft_or_change(world):
    plan = province_plan(world)
    with pytest.raises(PermissionDenied):
        services.save_task(
            actor=world.bob,
            task_list=plan.province,
            applies_to=_types(),
            reason="x",
            **task_values(code="5"),
        )
    assert not can_read(world.erin, plan.province)


def test_change_after_publication_is_a_version_with_reason(world):
    tina = township_secretary(world)
    plan = province_plan(world)
    _refused(
        lambda: services.save_task(
            actor=world.alice,
            task_list=plan.province,
            task=plan.study,
            applies_to=_types(),
            **task_values(target_value="90"),
        ),
        "reason",
        "理由",
    )
    services.save_task(
        actor=world.alice,
        task_list=plan.province,
        task=plan.study,
        applies_to=_types(),
        reason="根据中期评估调整目标",
        **task_values(target_value="90"),
    )
    plan.province.refresh_from_db()
    assert plan.province.version == 2
    revision = plan.province.revisions.get()
    assert revision.reason == "根据中期评估调整目标"
    assert Notification.objects.filter(user=tina, title__contains="第2版").exists()


def test_pledge_letters_are_off_by_default(world):
    assert services.settings_for(world.province).pledge_letters is False
    assert services.settings_for(world.province).claiming is False
    row = services.save_settings(
        actor=world.alice, host=world.province, pledge_letters=True, claiming=False
    )
    assert row.pledge_letters
    with pytest.raises(PermissionDenied):
        services.save_settings(
            actor=world.bob, host=world.province, pledge_letters=False, claiming=False
        )
