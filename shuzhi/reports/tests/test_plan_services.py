"""Rectification plans: drafted by the reporter's unit from the problems the critiques named,
submitted, returned with a comment or approved by the superior — approval writes the items
onto the ledger and starts the open ones. The status table is tested move by move."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.accounts.models import Role
from shuzhi.core.models import AuditEntry
from shuzhi.cycles.models import RoundReporter
from shuzhi.rectification import services as rect
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.plans.policies import can_review_plan, can_view_plan, can_write_plan
from shuzhi.reports.reports import policies as report_policies
from shuzhi.reports.transitions import PLAN

from .test_critique_world import *  # noqa: F403 - the fixtures
from .test_critique_world import CONCRETE, PROBLEMS, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def critique(world, reporter, today):
    """A published critique of county A1 (its two problems are in the ledger)."""
    saved = critique_services.save_critique(
        actor=world.bob,
        reporter=reporter,
        text=CONCRETE,
        role="host_secretary",
        problems=list(PROBLEMS),
    )
    return critique_services.publish_critique(actor=world.bob, critique=saved)


@pytest.fixture
def other_problem(world, today):
    """An open problem of county A1 found by the inspector the same year."""
    return rect.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description="村级活动场所管理使用不规范",
        source="xuncha",
        found_on=datetime.date(2026, 9, 1),
        year=2026,
    )


def _fill(plan, **extra):
    items = []
    for number, item in enumerate(plan.items, start=1):
        items.append(
            {
                **item,
                "measures": f"第{number}项措施：制定台账，逐村销号",
                "deadline": "2027-06-30",
                "responsible_leader_name": "孙区书记",
                "responsible_person_name": "钱部长",
                "responsible_department": "区委组织部",
                **extra,
            }
        )
    return items


def _ready_plan(sam, reporter, critique):
    plan = plan_services.draft_plan(actor=sam, reporter=reporter)
    return plan_services.update_plan(actor=sam, plan=plan, items=_fill(plan))


@pytest.mark.smoke
def test_the_whole_plan_flow(world, reporter, critique, sam, other_problem):
    plan = plan_services.draft_plan(actor=sam, reporter=reporter, include=[other_problem.pk])
    named = list(critique.problems.order_by("serial").values_list("pk", flat=True))
    assert [item["problem"] for item in plan.items] == [*named, other_problem.pk]
    assert plan.status == PlanStatus.DRAFT
    plan = plan_services.update_plan(
        actor=sam, plan=plan, summary="对照点评逐项整改", items=_fill(plan)
    )
    plan = plan_services.submit_plan(actor=sam, plan=plan)
    assert plan.status == PlanStatus.SUBMITTED
    with pytest.raises(ValidationError):
        plan_services.update_plan(actor=sam, plan=plan, summary="改")
    plan = plan_services.return_plan(actor=world.bob, plan=plan, comment="时限过松，请压缩。")
    assert plan.status == PlanStatus.RETURNED and plan.return_comment == "时限过松，请压缩。"
    plan = plan_services.update_plan(actor=sam, plan=plan, items=_fill(plan, deadline="2027-03-31"))
    plan = plan_services.submit_plan(actor=sam, plan=plan)
    plan = plan_services.approve_plan(actor=world.bob, plan=plan)
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == world.bob
    for problem in Problem.objects.filter(pk__in=[*named, other_problem.pk]):
        assert problem.status == ProblemStatus.IN_PROGRESS
        assert problem.deadline == datetime.date(2027, 3, 31)
        assert problem.measures.endswith("制定台账，逐村销号")
        assert problem.responsible_person_name == "钱部长"
        assert problem.responsible_department == "区委组织部"
        assert problem.transitions.last().reason == "整改方案已批准，开始整改。"
    actions = list(
        AuditEntry.objects.filter(action__startswith="plan.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "plan.create",
        "plan.update",
        "plan.submit",
        "plan.return",
        "plan.update",
        "plan.submit",
        "plan.approve",
    ]


def test_approval_leaves_items_already_under_way_in_their_status(world, reporter, critique, sam):
    plan = _ready_plan(sam, reporter, critique)
    first = critique.problems.order_by("serial").first()
    rect.transition(actor=sam, problem=first, to_status=ProblemStatus.IN_PROGRESS)
    rect.transition(actor=sam, problem=first, to_status=ProblemStatus.SUBMITTED)
    plan_services.submit_plan(actor=sam, plan=plan)
    plan_services.approve_plan(actor=world.alice, plan=plan)
    first.refresh_from_db()
    assert first.status == ProblemStatus.SUBMITTED
    assert first.deadline == datetime.date(2027, 6, 30)


def test_submission_needs_every_named_problem_measures_deadline_and_someone(
    world, reporter, critique, sam
):
    plan = plan_services.draft_plan(actor=sam, reporter=reporter)
    with pytest.raises(ValidationError) as error:
        plan_services.submit_plan(actor=sam, plan=plan)
    messages = error.value.message_dict["items"]
    assert "第 1 项：请填写整改措施。" in messages
    assert "第 2 项：请填写完成时限。" in messages
    assert "第 1 项：请填写责任领导或责任人。" in messages
    items = _fill(plan)
    plan = plan_services.update_plan(actor=sam, plan=plan, items=items[:1])
    with pytest.raises(ValidationError) as error:
        plan_services.submit_plan(actor=sam, plan=plan)
    assert "尚未列入整改方案" in error.value.message_dict["items"][0]
    plan = plan_services.update_plan(
        actor=sam,
        plan=plan,
        items=_fill(plan, deadline=(TODAY - datetime.timedelta(1)).isoformat()),
    )
    plan = plan_services.update_plan(actor=sam, plan=plan, items=[*plan.items, items[1]])
    with pytest.raises(ValidationError) as error:
        plan_services.submit_plan(actor=sam, plan=plan)
    assert error.value.message_dict["items"] == ["第 1 项：完成时限不能早于今天。"]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_item_validation_names_the_row(world, reporter, critique, sam, other_problem):
    plan = plan_services.draft_plan(actor=sam, reporter=reporter)
    elsewhere = rect.create_problem(
        actor=world.alice,
        unit=world.county_b1,
        description="别处的问题",
        source="xuncha",
        found_on=TODAY,
        year=2026,
    )
    first = plan.items[0]
    with pytest.raises(ValidationError) as error:
        plan_services.update_plan(
            actor=sam,
            plan=plan,
            items=[
                first,
                {"problem": elsewhere.pk},
                {**first},
                {"problem": other_problem.pk, "deadline": "下月"},
                {"problem": "x"},
            ],
        )
    assert error.value.message_dict["items"] == [
        "第 2 项：该问题不属于本单位本年度的问题清单。",
        "第 3 项：同一问题重复列出。",
        "第 4 项：完成时限应为日期，如 2027-03-31。",
        "第 5 项：缺少对应的问题。",
    ]
    plan.refresh_from_db()
    assert len(plan.items) == 2
    with pytest.raises(ValidationError):
        plan_services.draft_plan(actor=sam, reporter=reporter)
    with pytest.raises(ValidationError):
        other = plan.reporter.round.reporters.exclude(pk=plan.reporter_id).get()
        plan_services.draft_plan(actor=world.root, reporter=other, include=[elsewhere.pk])


def test_return_needs_a_comment(world, reporter, critique, sam):
    plan = plan_services.submit_plan(actor=sam, plan=_ready_plan(sam, reporter, critique))
    with pytest.raises(ValidationError) as error:
        plan_services.return_plan(actor=world.bob, plan=plan, comment=" ")
    assert error.value.message_dict == {"comment": ["退回时请写明修改意见。"]}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_a_problem_in_a_submitted_plan_stays_in_the_critique(world, reporter, critique, sam):
    plan_services.submit_plan(actor=sam, plan=_ready_plan(sam, reporter, critique))
    first, _second = critique.problems.order_by("serial")
    with pytest.raises(ValidationError):
        critique_services.save_critique(
            actor=world.bob,
            reporter=reporter,
            critique=critique,
            text=CONCRETE,
            role="host_secretary",
            problems=[{"id": first.pk, "description": first.description}],
        )
    assert critique.problems.count() == 2


def test_removing_a_problem_from_the_critique_drops_it_from_a_draft_plan(
    world, reporter, critique, sam
):
    plan = plan_services.draft_plan(actor=sam, reporter=reporter)
    first, _second = critique.problems.order_by("serial")
    critique_services.save_critique(
        actor=world.bob,
        reporter=reporter,
        critique=critique,
        text=CONCRETE,
        role="host_secretary",
        problems=[{"id": first.pk, "description": first.description, "severity": "major"}],
    )
    plan.refresh_from_db()
    assert [item["problem"] for item in plan.items] == [first.pk]


# --- The status table, move by move -----------------------------------------------------------

MOVES = {
    PlanStatus.SUBMITTED: lambda plan, w, sam: plan_services.submit_plan(actor=sam, plan=plan),
    PlanStatus.APPROVED: lambda plan, w, sam: plan_services.approve_plan(actor=w.bob, plan=plan),
    PlanStatus.RETURNED: lambda plan, w, sam: plan_services.return_plan(
        actor=w.bob, plan=plan, comment="请修改"
    ),
}


@pytest.mark.parametrize(
    ("from_status", "to_status"), list(itertools.product(PlanStatus.values, MOVES))
)
def test_every_move_of_the_table(world, reporter, critique, sam, from_status, to_status):
    plan = _ready_plan(sam, reporter, critique)
    RectificationPlan.objects.filter(pk=plan.pk).update(status=from_status)
    plan.refresh_from_db()
    allowed = PLAN.get(from_status, to_status) is not None
    if allowed:
        MOVES[to_status](plan, world, sam)
        plan.refresh_from_db()
        assert plan.status == to_status
    else:
        with pytest.raises(ValidationError) as error:
            MOVES[to_status](plan, world, sam)
        assert "不能改为" in error.value.message_dict["status"][0]
        plan.refresh_from_db()
        assert plan.status == from_status


def test_the_table_has_exactly_the_documented_moves():
    assert set(PLAN.table) == {
        ("draft", "submitted"),
        ("returned", "submitted"),
        ("submitted", "approved"),
        ("submitted", "returned"),
    }
    assert {m.permission for m in PLAN.table.values()} == {"write", "review"}


# --- Permissions ------------------------------------------------------------------------------


def test_who_may_write_review_and_see_a_plan(world, reporter, sam, lena, pete):
    people = {
        "alice": world.alice,
        "bob": world.bob,
        "carol": world.carol,
        "dave": world.dave,
        "erin": world.erin,
        "root": world.root,
        "sam": sam,
        "lena": lena,
        "pete": pete,
    }
    write = {n for n, u in people.items() if can_write_plan(u, reporter)}
    review = {n for n, u in people.items() if can_review_plan(u, reporter)}
    view = {n for n, u in people.items() if can_view_plan(u, reporter)}
    assert write == {"sam", "root"}
    assert review == {"alice", "bob", "root", "pete"}
    assert view == {"alice", "bob", "dave", "root", "sam", "lena", "pete"}


def test_refused_moves_change_nothing(world, reporter, critique, sam, lena):
    with pytest.raises(PermissionDenied):
        plan_services.draft_plan(actor=world.bob, reporter=reporter)
    plan = _ready_plan(sam, reporter, critique)
    for actor in (world.bob, world.alice, lena, world.dave):
        with pytest.raises(PermissionDenied):
            plan_services.update_plan(actor=actor, plan=plan, summary="越权")
        with pytest.raises(PermissionDenied):
            plan_services.submit_plan(actor=actor, plan=plan)
    plan = plan_services.submit_plan(actor=sam, plan=plan)
    for actor in (sam, lena, world.dave, world.carol, world.erin):
        with pytest.raises(PermissionDenied):
            plan_services.approve_plan(actor=actor, plan=plan)
        with pytest.raises(PermissionDenied):
            plan_services.return_plan(actor=actor, plan=plan, comment="越权")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and plan.summary == ""
    assert not critique.problems.exclude(status=ProblemStatus.OPEN).exists()


def test_in_the_province_round_bob_writes_the_plan_and_alice_approves(
    world, province_reporter, today
):
    saved = critique_services.save_critique(
        actor=world.alice,
        reporter=province_reporter,
        text=CONCRETE,
        role="host_secretary",
        problems=PROBLEMS,
    )
    critique_services.publish_critique(actor=world.alice, critique=saved)
    assert can_write_plan(world.bob, province_reporter)
    assert not can_write_plan(world.alice, province_reporter)
    assert can_review_plan(world.alice, province_reporter)
    assert not can_review_plan(world.bob, province_reporter)
    plan = plan_services.draft_plan(actor=world.bob, reporter=province_reporter)
    plan = plan_services.update_plan(actor=world.bob, plan=plan, items=_fill(plan))
    plan = plan_services.submit_plan(actor=world.bob, plan=plan)
    with pytest.raises(PermissionDenied):
        plan_services.approve_plan(actor=world.bob, plan=plan)
    plan = plan_services.approve_plan(actor=world.alice, plan=plan)
    assert plan.status == PlanStatus.APPROVED
    assert set(Problem.objects.filter(unit=world.city_a).values_list("status", flat=True)) == {
        ProblemStatus.IN_PROGRESS
    }


def test_a_reworded_problem_keeps_its_item_in_a_draft_plan(world, reporter, critique, sam):
    plan = _ready_plan(sam, reporter, critique)
    first, second = critique.problems.order_by("serial")
    critique_services.save_critique(
        actor=world.bob,
        reporter=reporter,
        critique=critique,
        text=CONCRETE,
        role="host_secretary",
        problems=[
            {"id": first.pk, "description": first.description, "severity": first.severity},
            {"id": second.pk, "description": "三会一课记录不全（改）"},
        ],
    )
    reworded = critique.problems.get(description="三会一课记录不全（改）")
    plan.refresh_from_db()
    assert [item["problem"] for item in plan.items] == [first.pk, reworded.pk]
    assert plan.items[1]["measures"] == "第2项措施：制定台账，逐村销号"
    assert plan_services.submit_plan(actor=sam, plan=plan).status == PlanStatus.SUBMITTED


def test_approval_is_all_or_nothing(world, reporter, critique, sam):
    """An item the ledger refuses (here: carried into next year meanwhile) stops the whole
    approval; no problem moves and the plan stays submitted."""
    plan = plan_services.submit_plan(actor=sam, plan=_ready_plan(sam, reporter, critique))
    rect.carry_over(actor=world.alice, from_year=2026, root=world.county_a1)
    with pytest.raises(ValidationError) as error:
        plan_services.approve_plan(actor=world.bob, plan=plan)
    assert "已转入2027年度" in error.value.messages[0]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    assert set(critique.problems.values_list("status", flat=True)) == {ProblemStatus.OPEN}
    assert not critique.problems.exclude(measures="").exists()


# --- Messages to the reporter's writers ---------------------------------------------------------


@pytest.fixture
def wang(world, reporter):
    """The reporting person's own account (no grants): one of the reporter's writers, as the
    person holds a post in the reporting unit."""
    from shuzhi.core.testing import make_user
    from shuzhi.orgs.people.models import Person, Post, PostRole

    person = Person.objects.create(name="王区长", unit=world.county_a1)
    Post.objects.create(
        person=person,
        unit=reporter.unit,
        role=PostRole.SECRETARY,
        start_date=datetime.date(2020, 1, 1),
    )
    RoundReporter.objects.filter(pk=reporter.pk).update(person=person)
    reporter.refresh_from_db()
    return make_user("wang", person=person, full_name="王区长")


def _inbox(kind: str) -> dict[str, list]:
    from shuzhi.core.models import Notification

    found: dict[str, list] = {}
    for n in Notification.objects.filter(kind=kind).select_related("user").order_by("id"):
        found.setdefault(n.user.username, []).append(n)
    return found


def test_the_writers_are_the_linked_account_and_a_grant_exactly_on_the_unit(
    world, reporter, sam, wang, lena, pete
):
    from shuzhi.core.testing import make_user

    gone = make_user("gone", (Role.SECRETARY, world.county_a1), is_active=False)
    ids = report_policies.users_who_can_write(reporter)
    names = set(get_user_model().objects.filter(pk__in=ids).values_list("username", flat=True))
    # bob's and pete's secretary grants reach the county only from above; root is global.
    assert names == {"sam", "wang"} and gone.pk not in ids
    assert report_policies.users_who_can_write(reporter, besides=sam) == [wang.pk]


def test_publishing_a_critique_tells_the_reporters_writers(client, world, reporter, sam, wang):
    saved = critique_services.save_critique(
        actor=world.bob,
        reporter=reporter,
        text=CONCRETE,
        role="host_secretary",
        problems=list(PROBLEMS),
    )
    assert not _inbox("critique.published")  # a draft tells nobody
    critique_services.publish_critique(actor=world.bob, critique=saved)
    sent = _inbox("critique.published")
    assert set(sent) == {"sam", "wang"}
    message = sent["sam"][0]
    assert message.url == f"/reports/plans/{reporter.pk}/"
    assert "荔湾区委2026年度述职的点评已发布" in message.title
    assert "点评指出问题 2 个" in message.body and "软弱涣散村党组织整顿进度滞后" in message.body
    client.force_login(sam)
    inbox = client.get("/inbox/", {"kind": "critique.published"}).content.decode()
    assert '<option value="critique.published" selected>上级点评</option>' in inbox
    assert "荔湾区委2026年度述职的点评已发布" in inbox


def test_approving_and_returning_a_plan_tell_its_writers(world, reporter, critique, sam, wang):
    plan = plan_services.submit_plan(actor=sam, plan=_ready_plan(sam, reporter, critique))
    plan = plan_services.return_plan(actor=world.bob, plan=plan, comment="时限过松，请压缩。")
    sent = _inbox("plan.review")
    assert set(sent) == {"sam", "wang"}
    assert "被退回" in sent["wang"][0].title and "时限过松，请压缩。" in sent["wang"][0].body
    plan = plan_services.update_plan(actor=sam, plan=plan, items=_fill(plan))
    plan = plan_services.submit_plan(actor=sam, plan=plan)
    plan_services.approve_plan(actor=world.bob, plan=plan)
    sent = _inbox("plan.review")
    assert [n.title for n in sent["sam"]] == [
        "2026年度整改方案被退回，请修改后重新报送",
        "2026年度整改方案已批准",
    ]
    assert "其中 2 项转为整改中" in sent["sam"][1].body
    assert "bob" not in sent  # the superior acted; no message to themselves


def test_a_refused_move_sends_nothing(world, reporter, critique, sam, wang, lena):
    plan = plan_services.submit_plan(actor=sam, plan=_ready_plan(sam, reporter, critique))
    with pytest.raises((PermissionDenied, ValidationError)):
        plan_services.approve_plan(actor=sam, plan=plan)
    assert _inbox("plan.review") == {}
