"""Every status machine of the product, walked pair by pair through the one engine.

For each registered machine (:func:`shuzhi.core.transitions.machines`) and every pair of its
statuses: an allowed pair succeeds through ``apply()`` for someone the policy lets make it,
saves the status, writes one audit entry (and one history row where the model keeps them); the
same pair is refused to a user without grants and changes nothing; a pair the table does not
list is refused even to the superuser and changes nothing. A new machine fails
:func:`test_every_machine_has_an_example` until it gets an example here, so it is covered the
day it is declared.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core import transitions
from shuzhi.core.models import AuditEntry
from shuzhi.core.transitions import Machine, Transition

pytestmark = pytest.mark.django_db

MACHINES = transitions.machines()


def _round(world):
    from shuzhi.cycles import services as cs

    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440100")
    return round


def _problem(world):
    from shuzhi.rectification import services as rs

    return rs.create_problem(
        actor=world.dave,
        unit=world.county_a1,
        description="基层党组织“三会一课”制度落实不到位。",
        source="xuncha",
        found_on=datetime.date(2025, 3, 1),
        year=2025,
    )


def _report(world):
    from shuzhi.reports.reports.models import Report

    return Report.objects.create(reporter=_round(world).reporters.get(), title="述职报告")


def _plan(world):
    from shuzhi.reports.plans.models import RectificationPlan

    return RectificationPlan.objects.create(reporter=_round(world).reporters.get())


def _session(world):
    from shuzhi.meetings import services as ms

    return ms.create_session(
        actor=world.alice, round=_round(world), title="述职评议会", date=datetime.date(2026, 3, 2)
    )


def _ballot_round(world):
    from shuzhi.ballots.models import BallotRound

    return BallotRound.objects.create(session=_session(world), number=1, reporters=[], policy={})


def _indicator_set(world):
    from shuzhi.assessment.indicators.models import IndicatorSet
    from shuzhi.core.testing import unit_type

    return IndicatorSet.objects.create(
        host=world.province, year=2026, assessed_type=unit_type("city"), title="考核指标"
    )


def _adjustment(world):
    from shuzhi.assessment.indicators.models import Adjustment, AnnualScore

    annual = AnnualScore.objects.create(set=_indicator_set(world), unit=world.city_a)
    return Adjustment.objects.create(
        annual=annual, kind="bonus", points=1, reason="获省级表彰", requested_by=world.alice
    )


def _grading(world):
    from shuzhi.assessment.grading.models import Grading

    return Grading.objects.create(round=_round(world))


def _follow_up(world):
    from shuzhi.assessment.grading.models import GradeRow
    from shuzhi.assessment.results.models import FollowUp

    grading = _grading(world)
    reporter = grading.round.reporters.get()
    row = GradeRow.objects.create(grading=grading, reporter=reporter, final="poor")
    return FollowUp.objects.create(
        round=grading.round,
        grade_row=row,
        reporter=reporter,
        kind="talk",
        grade="poor",
        grade_label="差",
    )


def _circular(world):
    from shuzhi.assessment.results.models import Circular

    return Circular.objects.create(round=_round(world), title="通报", issuer="省委组织部")


def _unit(world):
    from shuzhi.core.testing import make_unit

    return make_unit("440105", "海珠区委", "county", world.city_a)


def _task_list(world):
    from shuzhi.yearplan.keytasks.models import TaskList

    return TaskList.objects.create(host=world.province, year=2026, title="2026年度重点任务")


def _duty_list(world):
    from shuzhi.yearplan.duties.models import DutyItem, DutyList

    duty_list = DutyList.objects.create(unit=world.county_a1, year=2026)
    DutyItem.objects.create(
        duty_list=duty_list,
        role="secretary",
        person_name="书记",
        task="软弱涣散党组织整顿",
        deadline=datetime.date(2026, 12, 31),
    )
    return duty_list


# One object per machine, in any status (the test sets the status it needs).
EXAMPLES: dict[str, Callable[[Any], Any]] = {
    "rectification.problem": _problem,
    "reports.report": _report,
    "reports.plan": _plan,
    "meetings.session": _session,
    "cycles.round": _round,
    "ballots.round": _ballot_round,
    "assessment.indicator_set": _indicator_set,
    "assessment.adjustment": _adjustment,
    "assessment.grading": _grading,
    "assessment.follow_up": _follow_up,
    "assessment.circular": _circular,
    "orgs.unit": _unit,
    "yearplan.task_list": _task_list,
    "yearplan.duty_list": _duty_list,
}
# Fields a row in a given status must carry (the database's own checks), for test setup.
IN_STATUS: dict[str, dict[str, Callable[[Any], dict[str, Any]]]] = {
    "rectification.problem": {"closed": lambda world: {"verifier": world.dave}},
    "assessment.circular": {"issued": lambda world: {"issued_at": world.alice.date_joined}},
}
# How many history rows an object has, for the machines that keep history.
HISTORY: dict[str, Callable[[Any], int]] = {
    "rectification.problem": lambda problem: problem.transitions.count(),
    "reports.report": lambda report: report.events.count(),
}
PAIRS = [
    (name, source, target)
    for name, machine in sorted(MACHINES.items())
    for source in machine.statuses
    for target in machine.statuses
]


def test_every_machine_has_an_example():
    assert set(EXAMPLES) == set(MACHINES)
    assert set(HISTORY) == {name for name, m in MACHINES.items() if m.history is not None}


def _example(world, machine: Machine, status: str):
    obj = EXAMPLES[machine.name](world)
    extra = IN_STATUS.get(machine.name, {}).get(status, lambda world: {})(world)
    machine.model._default_manager.filter(pk=obj.pk).update(**{machine.field: status, **extra})
    return machine.model._default_manager.get(pk=obj.pk)


def _state(machine: Machine, obj) -> tuple:
    fresh = machine.model._default_manager.get(pk=obj.pk)
    history = HISTORY[machine.name](fresh) if machine.name in HISTORY else None
    return getattr(fresh, machine.field), history, AuditEntry.objects.count()


@pytest.mark.parametrize(("name", "source", "target"), PAIRS)
def test_every_pair_of_every_machine(world, settings, tmp_path, name, source, target):
    settings.MEDIA_ROOT = tmp_path
    machine = MACHINES[name]
    obj = _example(world, machine, source)
    before = _state(machine, obj)
    move = machine.get(source, target)
    if move is None:
        # Refused by the table, even to the superuser; nothing changes.
        with pytest.raises(ValidationError):
            transitions.apply(machine, actor=world.root, obj=obj, to=target, reason="理由")
        assert _state(machine, obj) == before
        assert target not in machine.targets(source)
        return
    # Refused by the policy to a user without grants; nothing changes.
    with pytest.raises(PermissionDenied):
        transitions.apply(machine, actor=world.erin, obj=obj, to=target, reason="理由")
    assert _state(machine, obj) == before
    assert move not in machine.moves_for(obj, world.erin)
    # Allowed: the status is saved, one audit entry and one history row are written.
    assert move in machine.moves_for(obj, world.root)
    moved = transitions.apply(machine, actor=world.root, obj=obj, to=target, reason="理由")
    status, history, audits = _state(machine, obj)
    assert status == target == getattr(moved, machine.field)
    assert audits == before[2] + 1
    if history is not None:
        assert history == before[1] + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == (move.action or machine.action)
    assert entry.changes[machine.field] == [source, target]
    assert entry.object_id == str(obj.pk)
    assert entry.scope_path == machine.scope_path(moved)


# --- The engine itself --------------------------------------------------------------------


def test_a_move_that_requires_a_reason_refuses_without_one(world):
    machine = MACHINES["rectification.problem"]
    move = next(m for m in machine.transitions if m.requires_reason)
    obj = _example(world, machine, move.source)
    before = _state(machine, obj)
    with pytest.raises(ValidationError) as caught:
        transitions.apply(machine, actor=world.root, obj=obj, to=move.target, reason="  ")
    assert caught.value.message_dict == {"reason": [f"“{move.label}”须填写理由。"]}
    assert _state(machine, obj) == before


def test_hooks_validate_and_prepare_and_side_effects_wait_for_commit(
    world, django_capture_on_commit_callbacks
):
    machine = MACHINES["cycles.round"]
    round = _example(world, machine, "draft")
    ran: list[str] = []
    with pytest.raises(ValidationError) as caught:
        transitions.apply(
            machine,
            actor=world.alice,
            obj=round,
            to="active",
            validate=lambda obj, move: {"title": "标题有误。"},
            after_commit=[lambda: ran.append("refused")],
        )
    assert caught.value.message_dict == {"title": ["标题有误。"]}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        transitions.apply(
            machine,
            actor=world.alice,
            obj=round,
            to="active",
            prepare=lambda obj, move: setattr(obj, "title", "改名后的评议"),
            update_fields=["title"],
            after_commit=[lambda: ran.append("done")],
        )
    assert len(callbacks) == 1 and ran == ["done"]
    round.refresh_from_db()
    assert (round.status, round.title) == ("active", "改名后的评议")


def test_a_table_naming_an_unknown_status_or_a_pair_twice_is_refused():
    machine = MACHINES["cycles.round"]
    with pytest.raises(ValueError, match="unknown status"):
        Machine(
            name="x",
            model=machine.model,
            transitions=[Transition("draft", "nowhere", "去")],
            policy=lambda user, obj, move: True,
            action="x",
            scope_path=lambda obj: "",
        )
    with pytest.raises(ValueError, match="no audit action"):
        Machine(
            name="x",
            model=machine.model,
            transitions=[Transition("draft", "active", "去")],
            policy=lambda user, obj, move: True,
            scope_path=lambda obj: "",
        )
    with pytest.raises(ValueError, match="twice"):
        Machine(
            name="x",
            model=machine.model,
            transitions=[Transition("draft", "active", "去"), Transition("draft", "active", "再")],
            policy=lambda user, obj, move: True,
            action="x",
            scope_path=lambda obj: "",
        )


def test_two_machines_cannot_share_a_name():
    machine = MACHINES["cycles.round"]
    assert transitions.register(machine) is machine
    twin = Machine(
        name=machine.name,
        model=machine.model,
        transitions=[],
        policy=lambda user, obj, move: True,
        action="x",
        scope_path=lambda obj: "",
    )
    with pytest.raises(ValueError, match="two status machines"):
        transitions.register(twin)
