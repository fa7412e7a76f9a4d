"""The status table, exhaustively: every pair of statuses is either an allowed move that the
right action holder can make (and the wrong one cannot), or refused with a Chinese message
and nothing changed."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.rectification import services
from shuzhi.rectification.models import Problem, ProblemStatus, ProblemTransition
from shuzhi.rectification.transitions import PROBLEM

from .problem_fixtures import attach_pdf, put_in_status

pytestmark = pytest.mark.django_db

STATUSES = list(ProblemStatus.values)
TRANSITIONS = PROBLEM.table
PAIRS = list(itertools.product(STATUSES, STATUSES))


def _holder(world, action: str):
    # bob (secretary of city A) rectifies county A1's items; dave (its inspector) verifies.
    return world.bob if action == "problem.rectify" else world.dave


def _other(world, action: str):
    return world.dave if action == "problem.rectify" else world.bob


def _state(item: Problem):
    item.refresh_from_db()
    return (
        item.status,
        item.verifier_id,
        item.verdict,
        ProblemTransition.objects.filter(problem=item).count(),
        AuditEntry.objects.count(),
    )


def test_the_table_covers_the_documented_flow():
    S = ProblemStatus
    assert set(PROBLEM.targets(S.OPEN)) == {S.IN_PROGRESS, S.LONG_TERM}
    assert PROBLEM.targets(S.CLOSED) == []
    send_back = PROBLEM.get(S.SUBMITTED, S.IN_PROGRESS)
    assert send_back is not None and send_back.requires_reason
    close = PROBLEM.get(S.SUBMITTED, S.CLOSED)
    assert close is not None and not close.requires_reason
    assert PROBLEM.get(S.OPEN, S.CLOSED) is None


@pytest.mark.parametrize(("from_status", "to_status"), list(TRANSITIONS))
def test_every_allowed_move_succeeds_for_its_action_holder(world, problem, from_status, to_status):
    move = TRANSITIONS[(from_status, to_status)]
    attach_pdf(problem, world.dave)
    put_in_status(problem, from_status)
    before_moves = ProblemTransition.objects.filter(problem=problem).count()
    actor = _holder(world, move.permission)
    moved = services.transition(
        actor=actor,
        problem=problem,
        to_status=to_status,
        reason="理由说明" if move.requires_reason else "",
        verdict="已核查，整改到位。" if to_status == ProblemStatus.CLOSED else "",
    )
    moved.refresh_from_db()
    assert moved.status == to_status
    last = ProblemTransition.objects.filter(problem=problem).last()
    assert last is not None
    assert ProblemTransition.objects.filter(problem=problem).count() == before_moves + 1
    assert (last.from_status, last.to_status, last.actor) == (from_status, to_status, actor)
    if move.requires_reason:
        assert last.reason == "理由说明"
    entry = AuditEntry.objects.filter(action="problem.transition").order_by("id").last()
    assert entry is not None
    assert entry.scope_path == problem.unit_path
    assert entry.changes["status"] == [from_status, to_status]
    if to_status == ProblemStatus.CLOSED:
        assert moved.verifier == world.dave
        assert moved.verified_on is not None
        assert moved.verdict == "已核查，整改到位。"


@pytest.mark.parametrize(("from_status", "to_status"), list(TRANSITIONS))
def test_every_allowed_move_is_refused_to_the_other_side(world, problem, from_status, to_status):
    move = TRANSITIONS[(from_status, to_status)]
    attach_pdf(problem, world.dave)
    put_in_status(problem, from_status)
    before = _state(problem)
    with pytest.raises(PermissionDenied) as caught:
        services.transition(
            actor=_other(world, move.permission),
            problem=problem,
            to_status=to_status,
            reason="理由",
            verdict="意见",
        )
    assert move.label in str(caught.value)
    assert _state(problem) == before


@pytest.mark.parametrize(
    ("from_status", "to_status"), [pair for pair in PAIRS if pair not in TRANSITIONS]
)
def test_every_other_pair_is_refused_and_changes_nothing(world, problem, from_status, to_status):
    attach_pdf(problem, world.dave)
    put_in_status(problem, from_status, verifier=world.alice)
    before = _state(problem)
    # Even the superuser cannot skip the table.
    with pytest.raises(ValidationError) as caught:
        services.transition(
            actor=world.root, problem=problem, to_status=to_status, reason="理由", verdict="意见"
        )
    message = caught.value.message_dict["to_status"][0]
    assert f"问题当前状态为“{ProblemStatus(from_status).label}”" in message
    assert f"不能变更为“{ProblemStatus(to_status).label}”" in message
    assert _state(problem) == before


def test_unknown_status_is_refused(world, problem):
    with pytest.raises(ValidationError) as caught:
        services.transition(actor=world.root, problem=problem, to_status="done")
    assert caught.value.message_dict["to_status"] == ["未知的问题状态“done”。"]


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [pair for pair, move in TRANSITIONS.items() if move.requires_reason],
)
def test_moves_that_need_a_reason_refuse_without_one(world, problem, from_status, to_status):
    move = TRANSITIONS[(from_status, to_status)]
    put_in_status(problem, from_status)
    before = _state(problem)
    with pytest.raises(ValidationError) as caught:
        services.transition(
            actor=_holder(world, move.permission), problem=problem, to_status=to_status, reason="  "
        )
    assert caught.value.message_dict["reason"] == [f"“{move.label}”须填写理由。"]
    assert _state(problem) == before


def test_outsiders_cannot_even_try(world, problem):
    for persona in (world.carol, world.erin):
        with pytest.raises(PermissionDenied):
            services.transition(actor=persona, problem=problem, to_status=ProblemStatus.IN_PROGRESS)
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.OPEN
