"""Contact points and visits through their services: scope, dates, the host's policy, the
ledger items a visit creates, and that bad input changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core import clock
from shuzhi.core.models import AuditEntry
from shuzhi.field import selectors, services
from shuzhi.field.models import (
    ContactPoint,
    FieldPolicy,
    Visit,
    VisitProblem,
    VisitProblemKind,
    VisitPurpose,
)
from shuzhi.rectification import services as ledger
from shuzhi.rectification.models import Problem

from .fixtures import build_field_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def fw():
    return build_field_world()


def _counts() -> tuple[int, int, int, int, int]:
    return (
        ContactPoint.objects.count(),
        Visit.objects.count(),
        VisitProblem.objects.count(),
        Problem.objects.count(),
        AuditEntry.objects.count(),
    )


def _visit(fw, **extra):
    values = {
        "actor": fw.sun,
        "leader": fw.leader,
        "unit": fw.world.township_a1x,
        "visited_on": clock.today() - datetime.timedelta(days=3),
        "purpose": VisitPurpose.RESEARCH,
        "note": "听取街道党建工作汇报。",
    }
    values.update(extra)
    return services.record_visit(**values)


def test_designate_point_in_scope_with_default_visits(fw):
    point = services.designate_contact_point(
        actor=fw.sun,
        leader=fw.leader,
        unit=fw.world.village_a1x1,
        year=2026,
        reason="社区班子力量弱",
    )
    assert point.min_visits == 4
    assert AuditEntry.objects.filter(action="contact_point.create").count() == 1


def test_point_outside_scope_is_refused_and_changes_nothing(fw):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.designate_contact_point(
            actor=fw.sun, leader=fw.leader, unit=fw.world.county_b1, year=2026, reason="试点"
        )
    assert "不在孙立的职责范围内" in exc.value.message_dict["unit"][0]
    assert _counts() == before


def test_points_over_the_policy_count_are_refused(fw):
    FieldPolicy.objects.create(host=fw.world.city_a, min_points=1, max_points=1, min_visits=6)
    point = services.designate_contact_point(
        actor=fw.sun, leader=fw.leader, unit=fw.world.village_a1x1, year=2026, reason="软弱涣散"
    )
    assert point.min_visits == 6  # the host's policy, not the default
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.designate_contact_point(
            actor=fw.sun, leader=fw.leader, unit=fw.world.township_a1x, year=2026, reason="试点"
        )
    assert "已有1个" in exc.value.messages[0]
    assert _counts() == before


def test_another_user_cannot_designate_for_the_leader(fw):
    with pytest.raises(PermissionDenied):
        services.designate_contact_point(
            actor=fw.world.dave,
            leader=fw.leader,
            unit=fw.world.village_a1x1,
            year=2026,
            reason="试点",
        )


def test_organiser_may_record_on_the_leaders_behalf(fw):
    visit = _visit(fw, actor=fw.world.alice)
    assert visit.recorded_by == fw.world.alice


def test_visit_creates_linked_ledger_items_with_the_visit_source(fw):
    old = ledger.create_problem(
        actor=fw.world.dave,
        unit=fw.world.township_a1x,
        description="党员活动室长期闲置",
        source="xuncha",
        found_on=datetime.date(2026, 1, 5),
        year=2026,
    )
    visit = _visit(
        fw,
        purpose=VisitPurpose.LESSON,
        problems_found=["三会一课记录事后补写", "", "  党费收缴不及时  "],
        problems_solved=[old],
    )
    found = Problem.objects.filter(
        pk__in=VisitProblem.objects.filter(visit=visit, kind=VisitProblemKind.FOUND).values(
            "problem"
        )
    )
    assert sorted(found.values_list("description", flat=True)) == [
        "三会一课记录事后补写",
        "党费收缴不及时",
    ]
    assert set(found.values_list("source__code", flat=True)) == {"visit"}
    assert set(found.values_list("unit", flat=True)) == {fw.world.township_a1x.pk}
    assert VisitProblem.objects.get(visit=visit, kind=VisitProblemKind.SOLVED).problem == old
    assert AuditEntry.objects.filter(action="visit.record").count() == 1
    summary = selectors.leader_year(fw.leader, visit.year)
    assert (summary.lessons, summary.found, summary.solved) == (1, 2, 1)


def test_future_visit_is_refused_and_changes_nothing(fw):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _visit(
            fw,
            visited_on=clock.today() + datetime.timedelta(days=1),
            problems_found=["不应登记"],
        )
    assert "不能晚于今天" in exc.value.message_dict["visited_on"][0]
    assert _counts() == before


def test_visit_outside_scope_is_refused_and_changes_nothing(fw):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _visit(fw, unit=fw.world.county_b1, problems_found=["不应登记"])
    assert "不在孙立的职责范围内" in exc.value.message_dict["unit"][0]
    assert _counts() == before


def test_visit_before_the_leader_took_post_is_refused(fw):
    with pytest.raises(ValidationError) as exc:
        _visit(fw, visited_on=datetime.date(2019, 6, 1))
    assert "未担任" in exc.value.message_dict["leader"][0]


def test_solved_item_outside_scope_is_refused(fw):
    elsewhere = ledger.create_problem(
        actor=fw.world.alice,
        unit=fw.world.county_b1,
        description="外区问题",
        source="xuncha",
        found_on=datetime.date(2026, 1, 5),
        year=2026,
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _visit(fw, problems_solved=[elsewhere])
    assert "problems_solved" in exc.value.message_dict
    assert _counts() == before


def test_overview_counts_visits_and_lists_uncovered_units(fw):
    services.designate_contact_point(
        actor=fw.sun,
        leader=fw.leader,
        unit=fw.world.township_a1x,
        year=clock.today().year,
        reason="街道党建薄弱",
    )
    _visit(fw)
    _visit(fw)
    (point,) = selectors.points_overview(fw.world.alice, year=clock.today().year)
    assert point.visits == 2  # type: ignore[attr-defined]
    uncovered = set(
        selectors.uncovered_units(fw.world.alice, year=clock.today().year).values_list(
            "name", flat=True
        )
    )
    assert fw.world.township_a1x.name not in uncovered
    assert fw.world.village_a1x1.name in uncovered
    assert list(selectors.points_overview(fw.world.carol, year=clock.today().year)) == []
