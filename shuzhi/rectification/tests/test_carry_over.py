"""Year rollover: items not closed reappear next year as 上年度遗留, closed ones do not, the
chain keeps the history, and running it twice carries nothing twice."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.rectification import services
from shuzhi.rectification.models import Problem, ProblemStatus, ProblemTransition

from .problem_fixtures import attach_pdf, put_in_status, record

pytestmark = pytest.mark.django_db
S = ProblemStatus


@pytest.fixture
def year_2025(world, media):
    closed = record(world, description="已销号的问题")
    attach_pdf(closed, world.dave)
    put_in_status(closed, S.SUBMITTED)
    services.transition(actor=world.alice, problem=closed, to_status=S.CLOSED, verdict="通过")
    still_open = record(world, description="尚未整改的问题")
    working = record(world, description="正在整改的问题", responsibility_kind="direct")
    services.transition(actor=world.bob, problem=working, to_status=S.IN_PROGRESS)
    services.add_note(actor=world.bob, problem=working, on=datetime.date(2025, 5, 1), text="推进中")
    elsewhere = services.create_problem(
        actor=world.alice,
        unit=world.county_b1,
        description="深圳的问题",
        source="xunshi",
        found_on=datetime.date(2025, 2, 1),
        year=2025,
    )
    return {"closed": closed, "open": still_open, "working": working, "elsewhere": elsewhere}


def test_carry_over_copies_items_not_closed(world, year_2025):
    existing_2026 = record(world, year=2026, description="新年度问题", deadline=None)
    assert services.carry_over_preview(from_year=2025, root=world.province) == {
        "total": 4,
        "closed": 1,
        "carried": 0,
        "pending": 3,
    }
    assert services.carry_over(actor=world.alice, from_year=2025, root=world.province) == 3
    new = Problem.objects.filter(year=2026, source__code="carried").order_by("serial")
    assert {p.carried_from_id for p in new} == {
        year_2025[k].pk for k in ("open", "working", "elsewhere")
    }
    working = new.get(carried_from=year_2025["working"])
    old = year_2025["working"]
    assert working.status == S.IN_PROGRESS
    assert working.responsibility_kind == "direct"
    assert (working.measures, working.deadline, working.responsible_person_name) == (
        old.measures,
        old.deadline,
        old.responsible_person_name,
    )
    assert working.unit_path == old.unit_path
    # Serials continue after the items already recorded for 2026 in the same unit.
    county_serials = sorted(new.filter(unit=world.county_a1).values_list("serial", flat=True))
    assert existing_2026.serial == 1
    assert county_serials == [2, 3]
    first_move = ProblemTransition.objects.filter(problem=working).get()
    assert first_move.reason == "由2025年度转入（上年度遗留）"
    assert not Problem.objects.filter(carried_from=year_2025["closed"]).exists()
    entry = AuditEntry.objects.get(action="problem.carry_over")
    assert entry.changes["count"] == [0, 3]
    assert entry.scope_path == world.province.path


def test_carry_over_is_idempotent_and_chains_across_years(world, year_2025):
    assert services.carry_over(actor=world.alice, from_year=2025, root=world.province) == 3
    assert services.carry_over(actor=world.alice, from_year=2025, root=world.province) == 0
    assert Problem.objects.filter(year=2026).count() == 3
    # The 2026 copy of the open item is still open, so it moves on to 2027 too.
    carried_2026 = Problem.objects.get(carried_from=year_2025["open"])
    assert services.carry_over(actor=world.alice, from_year=2026, root=world.province) == 3
    in_2027 = Problem.objects.get(carried_from=carried_2026)
    assert in_2027.carried_from is not None
    assert in_2027.carried_from.carried_from == year_2025["open"]
    assert in_2027.year == 2027


def test_carried_items_are_no_longer_worked_on_in_their_old_year(world, year_2025):
    services.carry_over(actor=world.alice, from_year=2025, root=world.province)
    old = year_2025["working"]
    with pytest.raises(ValidationError) as caught:
        services.transition(actor=world.bob, problem=old, to_status=S.SUBMITTED)
    assert caught.value.message_dict["__all__"] == [
        "该问题已转入2026年度，请在新年度的台账中办理。"
    ]
    with pytest.raises(ValidationError):
        services.add_note(actor=world.bob, problem=old, on=datetime.date(2025, 6, 1), text="x")
    old.refresh_from_db()
    assert old.status == S.IN_PROGRESS


def test_a_closed_item_does_not_reappear_while_a_later_closed_copy_stays(world, year_2025):
    services.carry_over(actor=world.alice, from_year=2025, root=world.province)
    copy = Problem.objects.get(carried_from=year_2025["working"])
    services.transition(actor=world.bob, problem=copy, to_status=S.SUBMITTED)
    attach_pdf(copy, world.bob)
    services.transition(actor=world.dave, problem=copy, to_status=S.CLOSED, verdict="整改到位")
    assert services.carry_over(actor=world.alice, from_year=2026, root=world.province) == 2
    assert not Problem.objects.filter(year=2027, carried_from=copy).exists()


def test_carry_over_respects_the_root_and_the_organiser_role(world, year_2025):
    assert services.carry_over(actor=world.alice, from_year=2025, root=world.city_b) == 1
    assert Problem.objects.filter(year=2026).get().unit == world.county_b1
    for persona in (world.bob, world.carol, world.dave, world.erin):
        with pytest.raises(PermissionDenied):
            services.carry_over(actor=persona, from_year=2025, root=world.city_a)
    with pytest.raises(PermissionDenied):
        services.carry_over(actor=world.alice, from_year=2025)  # everywhere: superusers only
    with pytest.raises(ValidationError) as caught:
        services.carry_over(actor=world.alice, from_year=1900, root=world.city_a)
    assert caught.value.message_dict["from_year"] == ["年度应在 2000—2099 之间。"]
    assert services.carry_over(actor=world.root, from_year=2025) == 2
    assert Problem.objects.filter(year=2026).count() == 3


def test_a_carried_item_no_longer_counts_as_overdue_in_its_old_year(world, year_2025):
    """The copy in the new year answers for the item; the old one is frozen, so it is neither
    overdue nor reminded, on the ledger, the export or the unit's to-do list."""
    from shuzhi.rectification.ledger_export import status_text

    working = year_2025["working"]
    late = datetime.date(2030, 1, 1)
    assert working.is_overdue(late)
    assert Problem.objects.overdue(late).filter(pk=working.pk).exists()
    services.carry_over(actor=world.alice, from_year=2025, root=world.province)
    working.refresh_from_db()
    copy = working.carried_to
    assert working.carried_over and not copy.carried_over
    assert not working.is_overdue(late)
    assert not Problem.objects.overdue(late).filter(pk=working.pk).exists()
    assert Problem.objects.overdue(late).filter(pk=copy.pk).exists()
    assert status_text(working.status, working.deadline, late, True) == "整改中（已转入下一年度）"
