"""Problem services: recording, editing, the closing rules, notes, evidence and the source
list — each refused change says why in Chinese and leaves nothing behind."""

from __future__ import annotations

import datetime
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.core.tests.samples import png_bytes, upload
from shuzhi.orgs.people.models import Person
from shuzhi.rectification import services
from shuzhi.rectification.models import (
    Evidence,
    Problem,
    ProblemSource,
    ProblemStatus,
    ProblemTransition,
    ProgressNote,
)

from .problem_fixtures import FOUND, attach_pdf, put_in_status, record

pytestmark = pytest.mark.django_db
S = ProblemStatus


def test_create_assigns_serials_per_unit_and_year_and_records_everything(world, media):
    first = record(world)
    second = record(world, description="第二个问题")
    other_year = record(world, year=2026, found_on=datetime.date(2025, 12, 1), deadline=None)
    other_unit = record(world, unit=world.township_a1x)
    assert [first.serial, second.serial, other_year.serial, other_unit.serial] == [1, 2, 1, 1]
    assert first.unit_path == world.county_a1.path
    assert first.recorded_by == world.dave
    assert first.source.code == "xuncha"
    assert first.status == S.OPEN
    move = ProblemTransition.objects.get(problem=first)
    assert (move.from_status, move.to_status, move.reason) == ("", S.OPEN, "登记问题")
    entry = AuditEntry.objects.filter(action="problem.create", object_id=str(first.pk)).get()
    assert entry.scope_path == first.unit_path
    assert entry.actor == world.dave


def test_create_fills_names_from_linked_people(world, media):
    person = Person.objects.create(name="陈责任", unit=world.county_a1)
    created = record(world, responsible_person=person, responsible_person_name="")
    assert created.responsible_person_name == "陈责任"


def test_create_refuses_bad_input_with_chinese_messages_and_creates_nothing(world, media):
    with pytest.raises(ValidationError) as caught:
        services.create_problem(
            actor=world.dave,
            unit=world.county_a1,
            description="  ",
            source="nonexistent",
            found_on=datetime.date(2999, 1, 1),
            year=1999,
            severity="huge",
            responsibility_kind="any",
            deadline=datetime.date(2998, 1, 1),
        )
    errors = caught.value.message_dict
    assert errors["description"] == ["请填写问题描述。"]
    assert errors["source"] == ["未知的问题来源“nonexistent”。"]
    assert errors["found_on"] == ["发现日期不能晚于今天。"]
    assert errors["year"] == ["年度应在 2000—2100 之间。"]
    assert errors["severity"] == ["请选择严重程度。"]
    assert errors["responsibility_kind"] == ["请选择责任类型。"]
    with pytest.raises(ValidationError) as caught:
        record(world, deadline=FOUND - datetime.timedelta(days=1))
    assert caught.value.message_dict["deadline"] == ["完成时限不能早于发现日期。"]
    ProblemSource.objects.filter(code="xunshi").update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        record(world, source="xunshi")
    assert caught.value.message_dict["source"] == ["问题来源“巡视”已停用，请选择其他来源。"]
    assert not Problem.objects.exists()
    assert not AuditEntry.objects.filter(action="problem.create").exists()


def test_create_needs_problem_create_in_scope(world, media):
    for persona in (world.bob, world.carol, world.erin):
        with pytest.raises(PermissionDenied):
            record(world) if persona is None else services.create_problem(
                actor=persona,
                unit=world.county_a1,
                description="问题",
                source="self",
                found_on=FOUND,
                year=2025,
            )
    with pytest.raises(PermissionDenied):
        record(world, unit=world.county_a2)  # dave inspects county A1 only
    assert record(world, unit=world.village_a1x1).unit == world.village_a1x1
    assert services.create_problem(
        actor=world.alice,
        unit=world.county_b1,
        description="问题",
        source="self",
        found_on=FOUND,
        year=2025,
    )


def test_update_changes_fields_and_audits_the_diff(world, problem):
    services.update_problem(
        actor=world.bob, problem=problem, measures="新措施", deadline=datetime.date(2025, 12, 31)
    )
    problem.refresh_from_db()
    assert problem.measures == "新措施"
    entry = AuditEntry.objects.filter(action="problem.update").get()
    assert entry.changes["deadline"] == ["2025-09-30", "2025-12-31"]
    assert entry.scope_path == problem.unit_path
    # No change, no entry.
    services.update_problem(actor=world.bob, problem=problem, measures="新措施")
    assert AuditEntry.objects.filter(action="problem.update").count() == 1


def test_update_keeps_the_problem_itself_to_recorder_and_verifier(world, problem):
    with pytest.raises(PermissionDenied) as caught:
        services.update_problem(actor=world.bob, problem=problem, description="改掉问题")
    assert "只能由登记或验收方修改" in str(caught.value)
    services.update_problem(actor=world.dave, problem=problem, description="更准确的描述")
    with pytest.raises(PermissionDenied):
        services.update_problem(actor=world.carol, problem=problem, measures="x")
    with pytest.raises(TypeError):
        services.update_problem(actor=world.dave, problem=problem, status=S.CLOSED)


def test_update_refuses_bad_values_and_closed_items(world, problem):
    with pytest.raises(ValidationError) as caught:
        services.update_problem(
            actor=world.dave, problem=problem, responsible_department="部" * 101
        )
    assert caught.value.message_dict["responsible_department"] == ["责任部门不能超过 100 字。"]
    put_in_status(problem, S.CLOSED, verifier=world.alice)
    with pytest.raises(ValidationError) as caught:
        services.update_problem(actor=world.dave, problem=problem, measures="改")
    assert caught.value.message_dict["__all__"] == ["该问题已销号，不能再修改。"]
    problem.refresh_from_db()
    assert problem.measures.startswith("逐一核查")


def _submit(world, item):
    services.transition(actor=world.bob, problem=item, to_status=S.IN_PROGRESS)
    services.transition(actor=world.bob, problem=item, to_status=S.SUBMITTED)


def test_closing_needs_evidence_and_a_verdict(world, problem):
    _submit(world, problem)
    with pytest.raises(ValidationError) as caught:
        services.transition(actor=world.dave, problem=problem, to_status=S.CLOSED, verdict="")
    errors = caught.value.message_dict
    assert errors["verdict"] == ["销号须填写验收意见。"]
    assert errors["__all__"] == ["销号前须至少上传一份整改佐证材料。"]
    problem.refresh_from_db()
    assert (problem.status, problem.verifier) == (S.SUBMITTED, None)
    attach_pdf(problem, world.bob)
    services.transition(actor=world.dave, problem=problem, to_status=S.CLOSED, verdict="通过")
    problem.refresh_from_db()
    assert (problem.status, problem.verifier, problem.verdict) == (S.CLOSED, world.dave, "通过")


def test_the_responsible_person_cannot_verify_by_person_link(world, problem):
    person = Person.objects.create(name="赵督查", unit=world.county_a1)
    world.dave.person = person
    world.dave.save()
    services.update_problem(actor=world.dave, problem=problem, responsible_person=person)
    _submit(world, problem)
    attach_pdf(problem, world.bob)
    with pytest.raises(ValidationError) as caught:
        services.transition(actor=world.dave, problem=problem, to_status=S.CLOSED, verdict="通过")
    assert caught.value.message_dict["__all__"] == [
        "验收人不能是该问题的责任人，请由其他人员验收销号。"
    ]
    assert Problem.objects.get(pk=problem.pk).status == S.SUBMITTED
    services.transition(actor=world.alice, problem=problem, to_status=S.CLOSED, verdict="通过")


def test_the_responsible_person_cannot_verify_by_name_without_a_link(world, problem):
    services.update_problem(actor=world.dave, problem=problem, responsible_person_name="赵督查")
    _submit(world, problem)
    attach_pdf(problem, world.bob)
    with pytest.raises(ValidationError):
        services.transition(actor=world.dave, problem=problem, to_status=S.CLOSED, verdict="通过")
    services.transition(actor=world.alice, problem=problem, to_status=S.CLOSED, verdict="通过")
    assert Problem.objects.get(pk=problem.pk).verifier == world.alice


def test_send_back_records_the_reason(world, problem):
    _submit(world, problem)
    services.transition(
        actor=world.dave, problem=problem, to_status=S.IN_PROGRESS, reason="佐证材料不足"
    )
    last = ProblemTransition.objects.filter(problem=problem).last()
    assert last is not None
    assert (last.from_status, last.to_status, last.reason) == (
        S.SUBMITTED,
        S.IN_PROGRESS,
        "佐证材料不足",
    )
    entry = AuditEntry.objects.filter(action="problem.transition").order_by("id").last()
    assert entry is not None
    assert entry.note == "佐证材料不足"


def test_notes(world, problem):
    note = services.add_note(
        actor=world.bob, problem=problem, on=datetime.date(2025, 4, 1), text="已召开专题会议"
    )
    assert note.author == world.bob
    assert AuditEntry.objects.filter(action="problem.note", scope_path=problem.unit_path).exists()
    with pytest.raises(ValidationError) as caught:
        services.add_note(actor=world.bob, problem=problem, on=datetime.date(2999, 1, 1), text="")
    assert caught.value.message_dict == {
        "text": ["请填写整改进展。"],
        "on": ["进展日期不能晚于今天。"],
    }
    with pytest.raises(PermissionDenied):
        services.add_note(actor=world.carol, problem=problem, on=FOUND, text="x")
    assert ProgressNote.objects.count() == 1


def test_evidence_is_checked_stored_under_a_random_name_and_audited(world, problem, media):
    evidence = services.add_evidence(
        actor=world.bob, problem=problem, upload=upload("现场照片.png", png_bytes()), note="照片"
    )
    assert evidence.name == "现场照片.png"
    assert evidence.content_type == "image/png"
    assert evidence.file.name.startswith(f"evidence/{problem.pk}/")
    assert "现场照片" not in evidence.file.name
    assert os.path.exists(evidence.file.path)
    assert AuditEntry.objects.filter(action="problem.evidence", note="现场照片.png").exists()
    with pytest.raises(ValidationError) as caught:
        services.add_evidence(
            actor=world.bob, problem=problem, upload=upload("伪装.pdf", b"<html></html>")
        )
    assert "不符" in caught.value.message_dict["file"][0]
    with pytest.raises(PermissionDenied):
        services.add_evidence(
            actor=world.carol, problem=problem, upload=upload("a.png", png_bytes())
        )
    assert Evidence.objects.count() == 1
    assert len(os.listdir(media / "evidence" / str(problem.pk))) == 1


def test_sources_are_managed_by_administrators_only(world):
    for persona in (world.alice, world.bob, world.dave):
        with pytest.raises(PermissionDenied):
            services.add_source(actor=persona, name="审计")
    source = services.add_source(actor=world.root, name="审计")
    assert source.code.startswith("custom") and not source.builtin
    with pytest.raises(ValidationError) as caught:
        services.add_source(actor=world.root, name="巡视")
    assert caught.value.message_dict["name"] == ["已有名为“巡视”的问题来源。"]
    services.rename_source(actor=world.root, source=source, name="审计监督")
    services.set_source_active(actor=world.root, source=source, is_active=False)
    source.refresh_from_db()
    assert (source.name, source.is_active) == ("审计监督", False)
    carried = ProblemSource.objects.get(code="carried")
    with pytest.raises(ValidationError) as caught:
        services.set_source_active(actor=world.root, source=carried, is_active=False)
    assert caught.value.message_dict["__all__"] == ["“上年度遗留”由系统使用，不能停用。"]
    with pytest.raises(ValidationError) as caught:
        services.delete_source(actor=world.root, source=ProblemSource.objects.get(code="xunshi"))
    assert caught.value.message_dict["__all__"] == ["“巡视”是系统内置来源，不能删除。"]
    services.delete_source(actor=world.root, source=source)
    assert not ProblemSource.objects.filter(pk=source.pk).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"problemsource.create", "problemsource.update", "problemsource.delete"} <= actions


def test_a_source_in_use_cannot_be_deleted(world, media):
    source = services.add_source(actor=world.root, name="审计")
    record(world, source=source)
    with pytest.raises(ValidationError) as caught:
        services.delete_source(actor=world.root, source=source)
    assert "可以停用" in caught.value.message_dict["__all__"][0]


def test_delete_removes_an_untouched_item_and_audits_what_was_removed(world, problem):
    services.delete_problem(actor=world.dave, problem=problem, reason="重复登记")
    assert not Problem.objects.filter(pk=problem.pk).exists()
    assert not ProblemTransition.objects.filter(problem_id=problem.pk).exists()
    entry = AuditEntry.objects.get(action="problem.delete", object_id=str(problem.pk))
    assert entry.actor == world.dave and entry.note == "重复登记"
    assert entry.scope_path == problem.unit_path
    assert entry.changes["description"] == [problem.description, None]
    assert entry.changes["serial"] == [1, None]


def test_delete_needs_problem_create_on_the_unit(world, problem):
    # bob (secretary above) and carol work on items but do not record them; erin is elsewhere.
    for persona in (world.bob, world.carol, world.erin):
        with pytest.raises(PermissionDenied) as caught:
            services.delete_problem(actor=persona, problem=problem)
        assert str(caught.value) == "您没有权限删除该问题。"
    assert Problem.objects.filter(pk=problem.pk).exists()
    assert not AuditEntry.objects.filter(action="problem.delete").exists()
    services.delete_problem(actor=world.alice, problem=problem)  # the province's organiser
    assert not Problem.objects.filter(pk=problem.pk).exists()


@pytest.mark.parametrize(
    ("work", "message"),
    [
        ("move", "该问题当前状态为“整改中”，已开始整改，不能删除。"),
        ("note", "该问题已有整改进展记录，已开始整改，不能删除。"),
        ("evidence", "该问题已上传整改佐证材料，已开始整改，不能删除。"),
        ("carried", "该问题已转入2026年度，已开始整改，不能删除。"),
    ],
)
def test_delete_is_refused_once_work_started(world, problem, work, message):
    if work == "move":
        services.transition(actor=world.bob, problem=problem, to_status=S.IN_PROGRESS)
    elif work == "note":
        services.add_note(actor=world.bob, problem=problem, on=FOUND, text="已部署")
    elif work == "evidence":
        attach_pdf(problem, world.dave)
    else:
        services.carry_over(actor=world.alice, from_year=2025, root=world.province)
    problem.refresh_from_db()
    assert services.work_started(problem)
    with pytest.raises(ValidationError) as caught:
        services.delete_problem(actor=world.dave, problem=problem)
    assert caught.value.message_dict["__all__"] == [message]
    assert Problem.objects.filter(pk=problem.pk).exists()
    assert not AuditEntry.objects.filter(action="problem.delete").exists()


def test_an_item_carried_in_from_last_year_is_not_deleted(world, problem):
    services.carry_over(actor=world.alice, from_year=2025, root=world.province)
    carried = Problem.objects.get(carried_from=problem)
    assert not services.work_started(carried)
    with pytest.raises(ValidationError) as caught:
        services.delete_problem(actor=world.alice, problem=carried)
    assert caught.value.message_dict["__all__"] == ["该问题由2025年度转入，不能删除。"]
    assert Problem.objects.filter(pk=carried.pk).exists()


def test_a_plain_item_is_not_reworded_by_a_critic_path(world, problem):
    """Only problems named in a critique take the critique's wording; for the rest the
    recorder and verifier rule stands."""
    with pytest.raises(PermissionDenied) as caught:
        services.update_problem(actor=world.bob, problem=problem, severity="serious")
    assert "只能由登记或验收方修改" in str(caught.value)
