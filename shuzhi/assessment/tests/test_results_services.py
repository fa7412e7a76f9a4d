"""结果运用 services: the consequences table, follow-ups from confirmed and corrected grades."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.assessment.grading.models import GradeRow
from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.results import policies as rp
from shuzhi.assessment.results import services as rs
from shuzhi.assessment.results.models import (
    ConsequenceRule,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    TalkBy,
    default_rules,
)
from shuzhi.core import clock
from shuzhi.core.models import AuditEntry, Notification
from shuzhi.core.testing import make_unit, make_user
from shuzhi.cycles import services as cycle_services
from shuzhi.cycles.policy import default_scale
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.rectification import services as rect_services
from shuzhi.rectification.models import Problem

from . import results_testing

# Round, rules (read, stored, audited, re-read), rows, existing follow-ups, the secretary and
# the account for a 书记约谈, one rectification through the ledger, one bulk insert, the audit
# entry and the notifications — however many reporters the round has.
CONFIRM_QUERIES = 26


@pytest.fixture
def rw(world):
    return results_testing.build(world)


def _confirm(world, rw):
    return results.on_grades_confirmed(
        actor=world.alice, grading=rw.grading, rows=list(rw.rows.values())
    )


def test_default_rules_follow_the_domain():
    rules = {r["grade"]: r for r in default_rules(default_scale())}
    assert rules["good"]["commend"] and not rules["good"]["talk"]
    assert not any(rules["fair_good"][k] for k in ("commend", "talk", "rectify", "criticise"))
    assert rules["average"]["talk"] and rules["average"]["talk_by"] == TalkBy.ORG_DEPARTMENT
    assert not rules["average"]["rectify"] and rules["average"]["criticise"]
    assert rules["poor"]["talk"] and rules["poor"]["talk_by"] == TalkBy.SECRETARY
    assert rules["poor"]["rectify"] and rules["poor"]["criticise"]


def test_other_scales_get_defaults_by_position():
    scale = [{"code": c, "label": c, "points": 1} for c in ("yx", "cz", "jbcz", "bcz")]
    rules = default_rules(scale)
    assert [r["grade"] for r in rules] == ["yx", "cz", "jbcz", "bcz"]
    assert rules[0]["commend"] and rules[3]["rectify"] and rules[2]["talk"]


@pytest.mark.smoke
@pytest.mark.django_db
def test_defaults_are_shown_unsaved_then_stored_on_first_use(world, rw):
    rules = rs.effective_rules(world.province)
    assert [r.grade for r in rules] == ["good", "fair_good", "average", "poor"]
    assert all(r.pk is None for r in rules)
    assert not ConsequenceRule.objects.exists()
    _confirm(world, rw)
    assert ConsequenceRule.objects.filter(host=world.province).count() == 4
    assert AuditEntry.objects.filter(action="consequence.defaults").count() == 1


@pytest.mark.django_db
def test_rule_edit_is_validated_and_audited(world, rw):
    with pytest.raises(ValidationError) as err:
        rs.save_rule(actor=world.alice, host=world.province, grade="average", talk_within_days=0)
    assert "约谈期限应在" in err.value.message_dict["talk_within_days"][0]
    with pytest.raises(ValidationError) as err:
        rs.save_rule(actor=world.alice, host=world.province, grade="good", criticise=True)
    assert "commend" in err.value.message_dict
    with pytest.raises(ValidationError):
        rs.save_rule(actor=world.alice, host=world.province, grade="poor", talk_by="mayor")
    assert not ConsequenceRule.objects.exists(), "a refused edit stores nothing"
    rule = rs.save_rule(
        actor=world.alice, host=world.province, grade="average", rectify=True, talk_within_days=20
    )
    assert rule.rectify and rule.talk_within_days == 20 and rule.talk
    entry = AuditEntry.objects.get(action="consequence.update")
    assert entry.changes["talk_within_days"] == [30, 20]
    assert ConsequenceRule.objects.filter(host=world.province).count() == 4


@pytest.mark.django_db
def test_rule_edit_needs_round_change_on_the_host(world, rw):
    for user in (world.bob, world.carol, world.erin, rw.sam):
        with pytest.raises(PermissionDenied):
            rs.save_rule(actor=user, host=world.province, grade="average", talk=False)


@pytest.mark.smoke
@pytest.mark.django_db
def test_confirmation_creates_the_follow_ups(world, rw):
    created = _confirm(world, rw)
    today = clock.today()
    kinds = sorted((f.reporter.unit.code, f.kind) for f in created)
    assert kinds == [
        ("440100", "commendation"),
        ("440103", "talk"),
        ("440303", "rectification"),
        ("440303", "talk"),
    ]
    org_talk = FollowUp.objects.get(reporter__unit__code="440103", kind="talk")
    assert org_talk.conducted_by == TalkBy.ORG_DEPARTMENT and org_talk.conductor_user is None
    assert org_talk.due_on == today + datetime.timedelta(days=30)
    assert org_talk.with_person is not None and org_talk.with_person.name == "吴荔湾"
    sec_talk = FollowUp.objects.get(reporter__unit__code="440303", kind="talk")
    assert sec_talk.conductor is not None
    assert sec_talk.conductor.name == "孙省委书记" and sec_talk.conductor_user == rw.sam
    assert sec_talk.due_on == today + datetime.timedelta(days=15)
    rect = FollowUp.objects.get(kind="rectification")
    problem = rect.problem
    assert problem is not None and problem.responsible_person is not None
    assert problem.unit == world.county_b1 and problem.year == 2026
    assert problem.deadline == today + datetime.timedelta(days=90)
    assert "“差”" in problem.description and rw.round.title in problem.description
    assert problem.round_id == rw.round.pk and problem.responsible_person.name == "郑罗湖"
    # The shipped source 考核结果运用, which an organiser uses without managing sources.
    assert problem.source.code == rs.RESULT_SOURCE_CODE and problem.source.name == "考核结果运用"
    # The people concerned are told.
    assert Notification.objects.filter(user=rw.sam, url__contains=str(sec_talk.pk)).exists()
    assert Notification.objects.filter(user=world.bob).count() == 2  # talk + rectification
    assert Notification.objects.filter(user=world.dave).count() == 1
    assert AuditEntry.objects.filter(action="followup.generate").count() == 1


@pytest.mark.django_db
def test_a_correction_adds_rectification_from_the_same_source(world, rw):
    results.on_grades_confirmed(actor=world.root, grading=rw.grading, rows=rw.rows.values())
    problem = FollowUp.objects.get(kind="rectification").problem
    assert problem is not None
    assert problem.source.code == rs.RESULT_SOURCE_CODE
    new = results_testing.correct(rw.rows["440103"], "poor")
    results.on_grade_corrected(actor=world.root, old=rw.rows["440103"], new=new)
    assert Problem.objects.filter(source__code=rs.RESULT_SOURCE_CODE).count() == 2


@pytest.mark.smoke
@pytest.mark.django_db
def test_confirming_twice_creates_nothing_new(world, rw):
    first = _confirm(world, rw)
    assert len(first) == 4
    assert _confirm(world, rw) == []
    assert FollowUp.objects.count() == 4
    assert Problem.objects.count() == 1
    assert Notification.objects.count() == 4


def _more_reporters(world, rw, count: int) -> list[GradeRow]:
    """``count`` more cities in the round, each secretary with an account, graded 好 and 一般
    in turn — a commendation or an organisation-department talk each, never a rectification,
    so the ledger's own queries do not grow with them."""
    units = []
    for i in range(count):
        unit = make_unit(f"4405{i:02d}", f"第{i}市委", "city", world.province)
        person = Person.objects.create(name=f"书记{i}", unit=unit)
        Post.objects.create(
            person=person, unit=unit, role=PostRole.SECRETARY, start_date=datetime.date(2020, 1, 1)
        )
        make_user(f"city{i}", person=person)
        units.append(unit)
    reporters = cycle_services.add_reporters_by_codes(
        actor=world.alice, round=rw.round, codes=[u.code for u in units]
    )
    return [
        GradeRow.objects.create(
            grading=rw.grading,
            reporter=reporter,
            composite=Decimal("80"),
            suggested="good" if i % 2 else "average",
            final="good" if i % 2 else "average",
            rank=10 + i,
        )
        for i, reporter in enumerate(reporters)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [3, 8])
def test_confirmation_queries_do_not_grow_with_the_reporters(
    world, rw, extra, django_assert_num_queries
):
    rows = [*rw.rows.values(), *_more_reporters(world, rw, extra)]
    # The four rows of ``rw`` include one 差 (one rectification, through the ledger's service).
    with django_assert_num_queries(CONFIRM_QUERIES):
        created = results.on_grades_confirmed(actor=world.alice, grading=rw.grading, rows=rows)
    assert len(created) == 4 + extra
    assert Notification.objects.filter(user__username__startswith="city").count() == extra
    # Every follow-up got its id, and the message points at it.
    talk = FollowUp.objects.filter(reporter__unit__code="440500").get()
    assert talk.kind == FollowUpKind.TALK and talk.created_at is not None
    assert Notification.objects.get(user__username="city0").url.endswith(f"/{talk.pk}/")


@pytest.mark.django_db
def test_confirmation_needs_round_change(world, rw):
    with pytest.raises(PermissionDenied):
        results.on_grades_confirmed(actor=world.bob, grading=rw.grading, rows=rw.rows.values())
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_rows_without_a_consequence_are_skipped(world, rw):
    rs.save_rule(actor=world.alice, host=world.province, grade="average", talk=False)
    created = _confirm(world, rw)
    assert "440103" not in {f.reporter.unit.code for f in created}


@pytest.mark.smoke
@pytest.mark.django_db
def test_correction_to_a_milder_grade_cancels_with_reason(world, rw):
    _confirm(world, rw)
    old = rw.rows["440303"]
    new = results_testing.correct(old, "average")
    created = results.on_grade_corrected(actor=world.alice, old=old, new=new)
    assert [(f.kind, f.conducted_by) for f in created] == [("talk", TalkBy.ORG_DEPARTMENT)]
    cancelled = FollowUp.objects.filter(grade_row=old)
    assert {f.kind for f in cancelled} == {"talk", "rectification"}
    for follow_up in cancelled:
        assert follow_up.status == FollowUpStatus.CANCELLED
        assert follow_up.cancel_reason.startswith("等次更正为“一般”")
    # The untouched ledger item goes away with its follow-up, and the audit keeps it.
    assert not Problem.objects.exists()
    assert AuditEntry.objects.filter(action="problem.delete").count() == 1
    assert Notification.objects.filter(user=rw.sam, title__startswith="已撤销").count() == 1


@pytest.mark.django_db
def test_correction_keeps_done_and_started_work(world, rw):
    _confirm(world, rw)
    talk = FollowUp.objects.get(reporter__unit__code="440303", kind="talk")
    rs.complete_follow_up(actor=rw.sam, follow_up=talk, notes="已约谈，本人表示认真整改。")
    rect = FollowUp.objects.get(kind="rectification")
    assert rect.problem is not None
    rect_services.add_note(
        actor=world.alice, problem=rect.problem, on=clock.today(), text="已制定整改方案"
    )
    old = rw.rows["440303"]
    new = results_testing.correct(old, "fair_good")
    assert results.on_grade_corrected(actor=world.alice, old=old, new=new) == []
    talk.refresh_from_db()
    rect.refresh_from_db()
    assert talk.status == FollowUpStatus.DONE and talk.grade_row == old
    assert rect.status == FollowUpStatus.CANCELLED and "保留在台账中" in rect.cancel_reason
    assert rect.problem_id is not None
    assert Problem.objects.filter(pk=rect.problem_id).exists()


@pytest.mark.django_db
def test_correction_to_a_harsher_grade_adds_and_carries(world, rw):
    _confirm(world, rw)
    old = rw.rows["440103"]
    org_talk = FollowUp.objects.get(grade_row=old)
    new = results_testing.correct(old, "poor")
    created = results.on_grade_corrected(actor=world.alice, old=old, new=new)
    assert sorted(f.kind for f in created) == ["rectification", "talk"]
    org_talk.refresh_from_db()
    assert org_talk.status == FollowUpStatus.CANCELLED  # another holder now
    # Correcting back: the org-department talk the grade asks for again is a new one, the
    # secretary's talk moves … nowhere (cancelled), and a same-holder talk is carried over.
    again = results_testing.correct(new, "poor", reason="再次复核")
    assert results.on_grade_corrected(actor=world.alice, old=new, new=again) == []
    carried = FollowUp.objects.filter(grade_row=again)
    assert sorted(f.kind for f in carried) == ["rectification", "talk"]
    assert AuditEntry.objects.filter(action="followup.carry").count() == 2


@pytest.mark.django_db
def test_a_commendation_is_withdrawn_when_the_grade_drops(world, rw):
    _confirm(world, rw)
    old = rw.rows["440100"]
    new = results_testing.correct(old, "fair_good")
    results.on_grade_corrected(actor=world.alice, old=old, new=new)
    assert FollowUp.objects.get(grade_row=old).status == FollowUpStatus.CANCELLED
    assert not FollowUp.objects.filter(grade_row=new).exists()


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_holder_marks_a_talk_done(world, rw):
    _confirm(world, rw)
    talk = FollowUp.objects.get(reporter__unit__code="440303", kind="talk")
    with pytest.raises(ValidationError) as err:
        rs.complete_follow_up(actor=rw.sam, follow_up=talk, notes=" ")
    assert err.value.message_dict["notes"] == ["请填写约谈情况。"]
    for user in (world.bob, world.carol, world.dave, world.erin):
        with pytest.raises(PermissionDenied):
            rs.complete_follow_up(actor=user, follow_up=talk, notes="x")
    done = rs.complete_follow_up(actor=rw.sam, follow_up=talk, notes="已约谈。")
    assert done.status == FollowUpStatus.DONE and done.done_by == rw.sam
    assert AuditEntry.objects.filter(action="followup.done", actor=rw.sam).exists()
    with pytest.raises(ValidationError):
        rs.complete_follow_up(actor=world.alice, follow_up=talk, notes="再次")
    org_talk = FollowUp.objects.get(reporter__unit__code="440103", kind="talk")
    with pytest.raises(PermissionDenied):
        rs.complete_follow_up(actor=rw.sam, follow_up=org_talk, notes="x")
    rs.complete_follow_up(actor=world.alice, follow_up=org_talk, notes="组织部已约谈。")


@pytest.mark.django_db
def test_rectification_is_finished_in_the_ledger_and_cancel_needs_a_reason(world, rw):
    _confirm(world, rw)
    rect = FollowUp.objects.get(kind="rectification")
    with pytest.raises(ValidationError):
        rs.complete_follow_up(actor=world.alice, follow_up=rect, notes="x")
    commendation = FollowUp.objects.get(kind="commendation")
    with pytest.raises(ValidationError) as err:
        rs.cancel_follow_up(actor=world.alice, follow_up=commendation, reason="")
    assert "reason" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        rs.cancel_follow_up(actor=rw.sam, follow_up=commendation, reason="不需要")
    rs.cancel_follow_up(actor=world.alice, follow_up=commendation, reason="本人调离")
    commendation.refresh_from_db()
    assert commendation.status == FollowUpStatus.CANCELLED


@pytest.mark.django_db
def test_scheduling_a_talk(world, rw):
    _confirm(world, rw)
    talk = FollowUp.objects.get(reporter__unit__code="440103", kind="talk")
    day = clock.today() + datetime.timedelta(days=3)
    rs.schedule_follow_up(actor=world.alice, follow_up=talk, due_on=day, notes="在组织部会议室")
    talk.refresh_from_db()
    assert talk.due_on == day and talk.notes == "在组织部会议室"
    assert AuditEntry.objects.filter(action="followup.update").exists()
    with pytest.raises(PermissionDenied):
        rs.schedule_follow_up(actor=world.carol, follow_up=talk, due_on=day)


@pytest.mark.django_db
def test_visibility(world, rw):
    _confirm(world, rw)
    assert rp.visible_follow_ups(world.alice).count() == 4
    assert rp.visible_follow_ups(world.root).count() == 4
    # sam holds the secretary's talk; his one-level grant on the province sees the round too.
    assert rp.visible_follow_ups(rw.sam).count() == 4
    assert rp.visible_follow_ups(world.carol).count() == 0  # viewer of a city, not the host
    assert rp.visible_follow_ups(world.erin).count() == 0
    # dave is 吴荔湾: he reads the talk about himself, and nothing else.
    assert [f.reporter.unit.code for f in rp.visible_follow_ups(world.dave)] == ["440103"]
    assert rp.may_list(world.dave) and not rp.may_list(world.erin)
    assert FollowUpKind.TALK in set(rp.visible_follow_ups(rw.sam).values_list("kind", flat=True))


@pytest.mark.smoke
@pytest.mark.django_db
@pytest.mark.urls("shuzhi.assessment.tests.results_urlconf")
def test_grading_confirmation_and_correction_run_the_hooks(world):
    from shuzhi.assessment.grading import services as grading_services

    made = results_testing.build(world, status="suggested")
    grading_services.confirm_grades(actor=world.alice, grading=made.grading)
    assert FollowUp.objects.filter(status=FollowUpStatus.OPEN).count() == 4
    new = grading_services.correct_grade(
        actor=world.alice, row=made.rows["440303"], final="average", reason="复核后认定"
    )
    assert FollowUp.objects.get(grade_row=new).conducted_by == TalkBy.ORG_DEPARTMENT
    assert FollowUp.objects.filter(status=FollowUpStatus.CANCELLED).count() == 2
