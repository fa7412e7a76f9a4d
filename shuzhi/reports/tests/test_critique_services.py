"""Critiques: named problems become ledger items (source 上级点评) of the reporter's unit,
linked back; editing follows the items while no work started; the praise-only flag; and who
may write and read them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.meetings.models import Session, SessionReporter
from shuzhi.rectification import services as rect
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.reports.critiques import services
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.critiques.policies import (
    can_critique,
    can_view_critique,
    critiques_visible_to,
    users_who_can_critique,
)
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.reports.models import CarriedAnswer, Report

from .test_critique_world import *  # noqa: F403 - the fixtures
from .test_critique_world import CONCRETE, PRAISE_ONLY, PROBLEMS, TODAY

pytestmark = pytest.mark.django_db


def _save(actor, reporter, *, publish=True, **extra):
    """Save a critique and, unless asked not to, publish it (its problems enter the ledger)."""
    data: dict[str, Any] = {"text": CONCRETE, "role": "host_secretary", "problems": list(PROBLEMS)}
    data.update(extra)
    critique = services.save_critique(actor=actor, reporter=reporter, **data)
    if publish:
        critique = services.publish_critique(actor=actor, critique=critique)
    return critique


@pytest.mark.smoke
def test_named_problems_become_critique_problems_of_the_reporters_unit(world, reporter, today):
    critique = _save(world.bob, reporter)
    problems = list(Problem.objects.filter(critique=critique).order_by("serial"))
    assert [p.description for p in problems] == [row["description"] for row in PROBLEMS]
    for serial, problem in enumerate(problems, start=1):
        assert problem.source.code == "critique" and problem.source.name == "上级点评"
        assert problem.unit == world.county_a1
        assert problem.round == reporter.round and problem.year == 2026
        assert problem.found_on == TODAY
        assert problem.status == ProblemStatus.OPEN
        assert problem.serial == serial
        assert problem.recorded_by == world.bob
    assert [p.severity for p in problems] == ["major", "general"]
    assert critique.author_label == "李书记"
    entry = AuditEntry.objects.get(action="critique.create", object_id=str(critique.pk))
    assert entry.changes["problems"] == [0, 0] and entry.changes["draft_problems"] == 2
    entry = AuditEntry.objects.get(action="critique.publish", object_id=str(critique.pk))
    assert entry.changes["problems"] == [0, 2]
    assert AuditEntry.objects.filter(action="problem.create").count() == 2


def test_problems_are_found_on_the_session_date(world, reporter, today):
    session = Session.objects.create(
        round=reporter.round, title="述职评议会", date=datetime.date(2026, 12, 3)
    )
    SessionReporter.objects.create(session=session, reporter=reporter)
    critique = _save(world.bob, reporter)
    assert set(critique.problems.values_list("found_on", flat=True)) == {session.date}


def test_a_leader_critiques_on_a_portfolio(world, reporter, lena, today):
    with pytest.raises(ValidationError) as error:
        _save(lena, reporter, role="team_member")
    assert error.value.message_dict == {"portfolio": ["班子成员点评请填写分管领域。"]}
    critique = _save(lena, reporter, role="team_member", portfolio="组织工作")
    assert critique.portfolio == "组织工作" and critique.problems.count() == 2


def test_bad_input_names_the_row_and_changes_nothing(world, reporter, today):
    with pytest.raises(ValidationError) as error:
        _save(
            world.bob,
            reporter,
            text="  ",
            rating="nope",
            problems=[{"description": "甲"}, {"description": "乙", "severity": "huge"}],
        )
    assert error.value.message_dict == {
        "text": ["点评意见不能为空。"],
        "rating": ["总体评价必须是本年度评价等次之一。"],
    }
    with pytest.raises(ValidationError) as error:
        _save(
            world.bob,
            reporter,
            problems=[
                {"description": "甲"},
                {"description": "乙", "severity": "huge"},
                {"description": "丙", "deadline": "明年"},
            ],
        )
    assert error.value.message_dict["problems"] == [
        "第 2 条问题：严重程度只能是一般、较重或严重。",
        "第 3 条问题：完成时限应为日期，如 2027-03-31。",
    ]
    assert not Critique.objects.exists() and not Problem.objects.exists()


def test_blank_rows_are_ignored_and_rating_must_be_on_the_scale(world, reporter, today):
    code = reporter.round.scale[0]["code"]
    critique = _save(
        world.bob, reporter, rating=code, problems=[PROBLEMS[0], {"description": "  "}]
    )
    assert critique.rating == code and critique.problems.count() == 1


def test_editing_updates_adds_and_removes_problems(world, reporter, today):
    critique = _save(world.alice, reporter)
    first, second = critique.problems.order_by("serial")
    critique = services.save_critique(
        actor=world.alice,
        reporter=reporter,
        critique=critique,
        text=CONCRETE + "请抓紧整改。",
        role="host_secretary",
        problems=[
            {"id": first.pk, "description": "整顿进度滞后（改）", "severity": "serious"},
            {"description": "基层党建经费保障不足", "deadline": "2027-06-30"},
        ],
    )
    rows = {p.description: p for p in critique.problems.all()}
    assert set(rows) == {"整顿进度滞后（改）", "基层党建经费保障不足"}
    assert rows["整顿进度滞后（改）"].pk == first.pk  # updated in place by an organiser
    assert rows["整顿进度滞后（改）"].severity == "serious"
    assert rows["基层党建经费保障不足"].deadline == datetime.date(2027, 6, 30)
    assert not Problem.objects.filter(pk=second.pk).exists()
    entry = AuditEntry.objects.get(action="critique.update")
    assert entry.changes["problems"] == [2, 2] and "删除 1 个" in entry.note


def test_a_secretary_rewords_an_untouched_item_in_place(world, reporter, today):
    critique = _save(world.bob, reporter)
    first, second = critique.problems.order_by("serial")
    services.save_critique(
        actor=world.bob,
        reporter=reporter,
        critique=critique,
        text=CONCRETE,
        role="host_secretary",
        problems=[
            {"id": first.pk, "description": first.description, "severity": first.severity},
            {"id": second.pk, "description": "三会一课记录不全（改）", "deadline": "2027-03-31"},
        ],
    )
    second.refresh_from_db()
    assert second.description == "三会一课记录不全（改）"
    assert second.deadline == datetime.date(2027, 3, 31) and second.serial == 2
    assert critique.problems.count() == 2
    entry = AuditEntry.objects.get(action="problem.update", object_id=str(second.pk))
    assert entry.actor == world.bob and "description" in entry.changes
    assert not AuditEntry.objects.filter(action="problem.delete").exists()


def test_a_problem_left_out_is_deleted_with_an_audit_entry(world, reporter, today):
    critique = _save(world.bob, reporter)
    first, second = critique.problems.order_by("serial")
    services.save_critique(
        actor=world.bob,
        reporter=reporter,
        critique=critique,
        text=CONCRETE,
        role="host_secretary",
        problems=[{"id": first.pk, "description": first.description, "severity": "major"}],
    )
    assert list(critique.problems.values_list("pk", flat=True)) == [first.pk]
    entry = AuditEntry.objects.get(action="problem.delete", object_id=str(second.pk))
    assert entry.actor == world.bob and entry.note == "点评修改后不再列出该问题"
    assert entry.changes["description"] == [second.description, None]


def test_the_critic_may_reword_a_named_problem_in_the_ledger_until_work_starts(
    world, reporter, lena, sam, today
):
    critique = _save(world.bob, reporter)
    first, second = critique.problems.order_by("serial")
    # lena (a leadership-team member of the host) holds no ledger role on county A1.
    rect.update_problem(
        actor=lena,
        problem=first,
        description="整顿进度严重滞后",
        severity="serious",
        deadline=datetime.date(2027, 6, 30),
    )
    first.refresh_from_db()
    assert (first.description, first.severity) == ("整顿进度严重滞后", "serious")
    with pytest.raises(PermissionDenied) as caught:
        rect.update_problem(actor=lena, problem=first, measures="逐村整顿")
    assert str(caught.value) == "您没有权限修改该问题。"
    with pytest.raises(PermissionDenied) as caught:
        rect.update_problem(actor=world.bob, problem=first, source="xuncha")
    assert "只能由登记或验收方修改" in str(caught.value)
    # The reporter's secretary works on the item but does not reword the critique.
    with pytest.raises(PermissionDenied):
        rect.update_problem(actor=sam, problem=first, description="改轻一点")
    rect.add_note(actor=sam, problem=second, on=TODAY, text="已召开专题会议部署整改")
    with pytest.raises(ValidationError) as invalid:
        rect.update_problem(actor=lena, problem=second, description="改写")
    assert invalid.value.message_dict["__all__"] == [
        "该问题已开始整改，请由登记或验收方在问题台账中修改。"
    ]
    # Not the critic of another reporter's problem: a plain ledger item stays out of reach.
    plain = rect.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description="台账问题",
        source="xuncha",
        found_on=TODAY,
        year=2026,
    )
    with pytest.raises(PermissionDenied):
        rect.update_problem(actor=lena, problem=plain, description="改写")


def test_the_critic_or_the_units_recorder_may_delete_a_named_problem_before_work_starts(
    world, reporter, lena, sam, today
):
    critique = _save(world.bob, reporter)
    first, second = critique.problems.order_by("serial")
    with pytest.raises(PermissionDenied) as caught:
        rect.delete_problem(actor=sam, problem=first)
    assert str(caught.value) == "您没有权限删除该问题。"
    rect.delete_problem(actor=lena, problem=first)
    rect.add_note(actor=sam, problem=second, on=TODAY, text="已部署整改")
    with pytest.raises(ValidationError) as invalid:
        rect.delete_problem(actor=world.bob, problem=second)
    assert invalid.value.message_dict["__all__"] == [
        "该问题已有整改进展记录，已开始整改，不能删除。"
    ]
    assert list(critique.problems.values_list("pk", flat=True)) == [second.pk]
    # The recorder side of the unit (dave inspects county A1) may delete one as well.
    fresh = _save(world.bob, reporter).problems.order_by("serial").first()
    rect.delete_problem(actor=world.dave, problem=fresh)
    assert not Problem.objects.filter(pk=fresh.pk).exists()
    assert AuditEntry.objects.filter(action="problem.delete").count() == 2


def test_answered_in_a_report_or_listed_in_a_submitted_plan_counts_as_started(
    world, reporter, today
):
    critique = _save(world.bob, reporter)
    first, second = critique.problems.order_by("serial")
    assert rect.why_started(first) == ""
    report = Report.objects.create(reporter=reporter, title="述职报告")
    CarriedAnswer.objects.create(report=report, problem=first, answer="已整改一半")
    assert rect.why_started(first) == "该问题已在述职报告中作答"
    plan = RectificationPlan.objects.create(
        reporter=reporter, items=[{"problem": second.pk}], status=PlanStatus.DRAFT
    )
    assert not rect.work_started(second)
    RectificationPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUBMITTED)
    assert rect.why_started(second) == "该问题已列入已提交或已批准的整改方案"
    with pytest.raises(ValidationError) as caught:
        rect.delete_problem(actor=world.bob, problem=second)
    assert caught.value.message_dict["__all__"] == [
        "该问题已列入已提交或已批准的整改方案，已开始整改，不能删除。"
    ]
    assert critique.problems.count() == 2


def test_items_under_way_cannot_be_changed_or_removed_from_the_critique(
    world, reporter, sam, today
):
    critique = _save(world.bob, reporter)
    first, second = critique.problems.order_by("serial")
    rect.transition(actor=sam, problem=first, to_status=ProblemStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        services.save_critique(
            actor=world.bob,
            reporter=reporter,
            critique=critique,
            text=CONCRETE,
            role="host_secretary",
            problems=[{"id": first.pk, "description": "改写", "severity": "major"}],
        )
    assert error.value.message_dict["problems"] == ["第 1 条问题：已开始整改，请在问题台账中修改。"]
    with pytest.raises(ValidationError) as error:
        services.save_critique(
            actor=world.bob,
            reporter=reporter,
            critique=critique,
            text=CONCRETE,
            role="host_secretary",
            problems=[{"id": second.pk, "description": second.description}],
        )
    assert "已开始整改，不能从点评中删除" in error.value.message_dict["problems"][0]
    assert critique.problems.count() == 2
    with pytest.raises(ValidationError) as error:
        services.save_critique(
            actor=world.bob,
            reporter=reporter,
            critique=critique,
            text=CONCRETE,
            role="host_secretary",
            problems=[{"id": 999999, "description": "别处的问题"}],
        )
    assert "该问题不属于本条点评" in error.value.message_dict["problems"][0]


def test_publish_once(world, reporter, today):
    critique = _save(world.bob, reporter, publish=False)
    assert not critique.published
    services.publish_critique(actor=world.bob, critique=critique)
    critique.refresh_from_db()
    assert critique.published
    with pytest.raises(ValidationError):
        services.publish_critique(actor=world.bob, critique=critique)
    assert AuditEntry.objects.filter(action="critique.publish").count() == 1


# --- The flag -----------------------------------------------------------------------------


def test_a_praise_only_critique_without_problems_is_flagged(world, reporter, today):
    checks = {c.code: c for c in services.check_critique(PRAISE_ONLY, [])}
    assert not checks["named_problems"].ok
    assert not checks["concrete_problem"].ok
    assert "没有点出这个单位的任何具体问题" in checks["concrete_problem"].message
    assert services.is_flagged(checks.values())
    critique = _save(world.bob, reporter, text=PRAISE_ONLY, problems=[])  # flagged, not blocked
    assert services.is_flagged(services.critique_checks(critique))


def test_a_concrete_critique_passes(world, reporter, today):
    checks = services.check_critique(CONCRETE, PROBLEMS)
    assert all(c.ok for c in checks), [c.message for c in checks]
    assert "3个村至今未完成转" in checks[1].message


def test_problems_that_fit_any_unit_are_flagged():
    """Named problems made of stock phrases ("还需进一步") name nothing the unit can put right."""
    generic = [
        {"description": "理论学习不够深入，学用结合不够", "severity": "general"},
        {"description": "党建与业务融合不够，存在两张皮现象", "severity": "general"},
    ]
    text = PRAISE_ONLY + "希望区委再接再厉，推动党建工作再上新台阶。"
    checks = {c.code: c for c in services.check_critique(text, generic)}
    assert checks["named_problems"].ok and not checks["concrete_problem"].ok
    assert "放到哪个单位都成立" in checks["concrete_problem"].message
    # A concrete named problem is enough, whatever the praise around it.
    assert all(c.ok for c in services.check_critique(text, PROBLEMS))


def test_the_units_own_name_is_not_a_concrete_problem():
    text = "对白沙镇党委书记的点评\n白沙镇党委存在一些共性问题，个别书记带头作用不明显。"
    check = services.text_check(text, unit="白沙镇党委")
    assert not check.ok
    other = "白沙镇党委的问题：马田村支部全年只开过2次会。"
    assert services.text_check(other, unit="白沙镇党委").ok


@pytest.mark.parametrize("text", ["", "   ", "实事求是，数据翔实"])
def test_an_empty_or_too_short_critique_does_not_pass(text):
    """Nothing (or one phrase) to judge: the check fails and says why."""
    check = {c.code: c for c in services.check_critique(text, [])}["concrete_problem"]
    assert not check.ok
    assert "过于简短" in check.message or "还没有内容" in check.message


def test_the_minimum_length_is_data():
    text = "3个村未转化。"
    assert not services.check_critique(text, [], {"critique_min_chars": 15})[1].ok
    assert services.check_critique(text, [], {"critique_min_chars": 5})[1].ok


# --- Permissions ------------------------------------------------------------------------------


def test_who_may_critique(world, reporter, lena, sam, pete):
    allowed = {
        "alice": True,  # organiser of the province: enters critiques on behalf of the host
        "bob": True,  # secretary of the host
        "lena": True,  # leadership-team member of the host
        "root": True,
        "carol": False,
        "dave": False,
        "erin": False,
        "sam": False,  # the reporter's own secretary
        "pete": False,  # the host's superior, not its secretary
    }
    users = {u: getattr(world, u, None) for u in allowed}
    users.update(lena=lena, sam=sam, pete=pete)
    assert {name: can_critique(user, reporter) for name, user in users.items()} == allowed
    assert set(users_who_can_critique(reporter).values_list("username", flat=True)) == {
        name for name, ok in allowed.items() if ok
    }


def test_refused_writers_change_nothing(world, reporter, sam, today):
    for actor in (sam, world.dave, world.carol, world.erin):
        with pytest.raises(PermissionDenied):
            _save(actor, reporter)
    assert not Critique.objects.exists() and not Problem.objects.exists()


def test_drafts_are_seen_by_writers_published_by_the_reporters_side(
    world, reporter, lena, sam, pete, today
):
    critique = _save(world.bob, reporter, publish=False)
    people = {
        "alice": world.alice,
        "bob": world.bob,
        "lena": lena,
        "sam": sam,
        "dave": world.dave,
        "carol": world.carol,
        "erin": world.erin,
        "pete": pete,
    }

    def seen():
        return {
            name
            for name, user in people.items()
            if critique.pk in critiques_visible_to(user).values_list("pk", flat=True)
        }

    assert seen() == {"alice", "bob", "lena"}
    assert {n for n, u in people.items() if can_view_critique(u, critique)} == seen()
    services.publish_critique(actor=world.bob, critique=critique)
    critique.refresh_from_db()
    assert seen() == {"alice", "bob", "lena", "sam", "dave", "pete"}
    assert {n for n, u in people.items() if can_view_critique(u, critique)} == seen()


def test_in_the_province_round_alice_critiques_and_bob_answers(
    world, province_reporter, lena, pete, today
):
    """The province hosts; city A (bob's unit) reports. Bob and lena sit at the host's level
    below: they do not critique here, while pete (the province's secretary) does."""
    assert can_critique(world.alice, province_reporter)
    assert can_critique(pete, province_reporter)
    for user in (world.bob, lena, world.carol, world.dave, world.erin):
        assert not can_critique(user, province_reporter)
    critique = services.save_critique(
        actor=world.alice,
        reporter=province_reporter,
        text=CONCRETE,
        role="host_secretary",
        problems=PROBLEMS[:1],
    )
    with pytest.raises(PermissionDenied):
        services.publish_critique(actor=world.bob, critique=critique)
    critique = services.publish_critique(actor=world.alice, critique=critique)
    problem = critique.problems.get()
    assert problem.unit == world.city_a and problem.source.code == "critique"


def test_a_draft_names_nothing_in_the_ledger_until_it_is_published(
    client, world, reporter, sam, today
):
    """The reporter's side reads nothing of a critique before the host publishes it: the
    problems a draft names are not in the unit's ledger, its list, its API or its counts."""
    critique = _save(world.bob, reporter, publish=False)
    assert not Problem.objects.filter(unit=world.county_a1).exists()
    assert [p.description for p in services.draft_problems(critique)] == [
        row["description"] for row in PROBLEMS
    ]
    client.force_login(sam)
    assert client.get("/api/problems/").json()["count"] == 0
    assert PROBLEMS[0]["description"] not in client.get("/problems/").content.decode()
    assert not AuditEntry.objects.filter(action="problem.create").exists()
    # Editing the draft keeps its problems on the critique.
    critique = services.save_critique(
        actor=world.bob,
        reporter=reporter,
        critique=critique,
        text=CONCRETE,
        role="host_secretary",
        problems=[PROBLEMS[1]],
    )
    assert not Problem.objects.exists() and len(critique.draft_problems) == 1
    services.publish_critique(actor=world.bob, critique=critique)
    assert list(Problem.objects.values_list("description", flat=True)) == [
        PROBLEMS[1]["description"]
    ]
    assert client.get("/api/problems/").json()["count"] == 1
    assert PROBLEMS[1]["description"] in client.get("/problems/").content.decode()


def test_a_critique_entered_on_the_critics_behalf_is_marked_by_proxy(
    client, world, reporter, lena, today
):
    """An organiser entering the host secretary's critique (代录) stores who entered it apart
    from whose critique it is; pages and the API say so. The critic in person does not."""
    own = _save(world.bob, reporter, publish=False)
    assert (own.by_proxy, own.author, own.author_label) == (False, world.bob, "李书记")
    assert own.entered_by == world.bob
    assert not _save(lena, reporter, role="team_member", portfolio="组织", publish=False).by_proxy

    proxy = _save(world.alice, reporter, critic="李书记", publish=False)
    assert proxy.by_proxy and proxy.author is None and proxy.author_label == "李书记"
    assert proxy.entered_by == world.alice and proxy.entered_by_label == "王组织"
    entry = AuditEntry.objects.get(action="critique.create", object_id=str(proxy.pk))
    assert entry.changes["by_proxy"] == [None, True]

    client.force_login(world.bob)
    page = client.get(f"/reports/critiques/{proxy.pk}/").content.decode()
    assert "data-by-proxy" in page and "代录" in page and "王组织" in page
    assert "data-by-proxy" not in client.get(f"/reports/critiques/{own.pk}/").content.decode()
    body = client.get(f"/api/reports/critiques/{proxy.pk}").json()
    assert body["by_proxy"] is True and body["author_label"] == "李书记"
    assert body["entered_by_label"] == "王组织"
    assert client.get(f"/api/reports/critiques/{own.pk}").json()["by_proxy"] is False
    rows = client.get(f"/reports/critiques/round/{reporter.round_id}/").content.decode()
    assert "李书记（代录）" in rows


def test_the_api_enters_a_critique_by_proxy(client, world, reporter, today):
    client.force_login(world.alice)
    payload = {"reporter_id": reporter.pk, "text": CONCRETE, "critic": "李书记"}
    body = client.post("/api/reports/critiques", payload, content_type="application/json").json()
    assert body["by_proxy"] is True and body["author_label"] == "李书记"
    assert body["entered_by_label"] == "王组织"
