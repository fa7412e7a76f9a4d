"""Services: sets, derivation, items refused for 留痕, publishing, scores and adjustments —
each write audited, each failure leaving the database as it was."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.accounts.models import Role
from shuzhi.assessment.indicators import scoring, selectors
from shuzhi.assessment.indicators import services as svc
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentStatus,
    GovernanceFinding,
    IndicatorItem,
    ItemScore,
    ItemSource,
)
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user
from shuzhi.rectification.models import Problem, ProblemSource, ProblemStatus

pytestmark = pytest.mark.django_db


def _derive(world, province_set, **kw):
    return svc.derive_set(actor=world.alice, parent=province_set, host=world.city_a, **kw)


@pytest.mark.smoke
def test_derive_inherits_tightens_and_drops(world, province_set):
    a1, a2, a3, _a4 = province_set.items.order_by("sort_order")
    child, skipped = _derive(world, province_set, keep={a1.pk: "15", a2.pk: None, a3.pk: ""})
    assert skipped == []
    items = list(child.items.order_by("sort_order"))
    assert [(i.code, i.max_points, i.derived_from_id) for i in items] == [
        ("A1", Decimal("15.00"), a1.pk),
        ("A2", Decimal("20.00"), a2.pk),
        ("A3", Decimal("15.00"), a3.pk),
    ]
    assert not child.findings.filter(severity="error").exists()
    assert AuditEntry.objects.filter(
        action="assessment.set.derive", object_id=str(child.pk)
    ).exists()


def test_derive_refuses_raised_points_and_wrong_host(world, province_set):
    a1 = province_set.items.get(code="A1")
    with pytest.raises(ValidationError) as exc:
        _derive(world, province_set, keep={a1.pk: "25"})
    assert "层层加码" in exc.value.message_dict["keep"][0]
    with pytest.raises(ValidationError):
        svc.derive_set(actor=world.alice, parent=province_set, host=world.province)
    assert province_set.derived_sets.count() == 0


def test_added_item_in_derived_set_is_escalation_and_blocks_publishing(world, province_set):
    child, _ = _derive(world, province_set)
    svc.add_item(
        actor=world.alice, indicator_set=child, code="B1", name="城市基层治理创新成效", max_points=5
    )
    finding = child.findings.get(code="escalation")
    assert "新增指标" in finding.message and finding.item.code == "B1"
    with pytest.raises(ValidationError) as exc:
        svc.publish_set(actor=world.alice, indicator_set=child)
    assert "层层加码" in exc.value.messages[0]
    child.refresh_from_db()
    assert child.status == "draft"


def test_trace_item_is_refused_and_never_saved(world, county_type):
    s = svc.create_set(actor=world.alice, host=world.province, year=2026, assessed_type=county_type)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        svc.add_item(
            actor=world.alice,
            indicator_set=s,
            code="T1",
            name="学习强国学习时长排名",
            max_points=5,
            kind="process",
        )
    message = exc.value.message_dict["name"][0]
    assert "不予采用" in message and "依据" in message and "2024" in message
    assert not IndicatorItem.objects.filter(set=s).exists()
    assert AuditEntry.objects.count() == before
    ok = svc.add_item(
        actor=world.alice, indicator_set=s, code="T1", name="党员发展质量", max_points=5
    )
    with pytest.raises(ValidationError):
        svc.update_item(actor=world.alice, item=ok, scoring_guide="按会议记录和照片计分")
    ok.refresh_from_db()
    assert ok.scoring_guide == ""


def test_too_many_items_found_on_save(world, county_type):
    township = world.township_a1x
    from shuzhi.core.testing import unit_type

    s = svc.create_set(
        actor=world.alice, host=world.county_a1, year=2026, assessed_type=unit_type("community")
    )
    svc.set_governance_policy(
        actor=world.alice, unit=world.county_a1, data={"too_many": {"max_items_by_depth": {"3": 2}}}
    )
    for n in range(3):
        svc.add_item(
            actor=world.alice, indicator_set=s, code=f"C{n}", name=f"社区治理成效{n}", max_points=5
        )
    finding = s.findings.get(code="too_many")
    assert "超过本级上限 2 项" in finding.message
    assert s.__class__.objects.get(pk=s.pk).limits["max_items"] == 2
    assert township  # the county's own organiser cannot relax its limits:
    county_organiser = make_user("gary", (Role.ORGANISER, world.county_a1))
    with pytest.raises(PermissionDenied):
        svc.set_governance_policy(actor=county_organiser, unit=world.county_a1, data={})


def test_overlap_found_on_both_sets(world, province_set, county_type):
    other = svc.create_set(
        actor=world.alice,
        host=world.city_a,
        year=2026,
        assessed_type=county_type,
        title="广州市委2026年度区县组织工作考核",
    )
    svc.add_item(
        actor=world.alice,
        indicator_set=other,
        code="Z1",
        name="基层党组织规范化建设达标率",
        max_points=10,
    )
    mine = other.findings.get(code="overlap")
    assert mine.other_set_id == province_set.pk and "建议合并" in mine.message
    theirs = GovernanceFinding.objects.get(set=province_set, code="overlap")
    assert theirs.other_set_id == other.pk
    # A set derived from the province's set is the same assessment, not a second one.
    child, _ = _derive(world, province_set, title="派生")
    assert not child.findings.filter(code="overlap", other_set=province_set).exists()


def test_published_set_is_locked(world, province_set):
    with pytest.raises(ValidationError):
        svc.add_item(
            actor=world.alice, indicator_set=province_set, code="Q", name="新指标", max_points=1
        )
    with pytest.raises(PermissionDenied):
        svc.update_set(actor=world.bob, indicator_set=province_set, title="x")


def _secretary(world, unit, name):
    return make_user(name, (Role.SECRETARY, unit))


def test_self_and_host_scores_with_totals(world, province_set):
    county = world.county_a1
    sec = _secretary(world, county, "hank")
    a1, a2, *_ = province_set.items.order_by("sort_order")
    svc.save_self_scores(
        actor=sec,
        indicator_set=province_set,
        unit=county,
        entries={a1.pk: {"points": "18", "note": "达标率 95%"}},
        submit=True,
    )
    with pytest.raises(ValidationError) as exc:
        svc.save_host_scores(
            actor=world.alice,
            indicator_set=province_set,
            unit=county,
            entries={a1.pk: {"points": "21"}},
        )
    assert "0 到 20.00" in str(exc.value)
    svc.save_host_scores(
        actor=world.alice,
        indicator_set=province_set,
        unit=county,
        entries={a1.pk: {"points": "17.5"}, a2.pk: {"points": "19", "comment": "成效明显"}},
    )
    # bob, secretary of the city above, reaches the county but may not self-score it.
    with pytest.raises(PermissionDenied):
        svc.save_self_scores(actor=world.bob, indicator_set=province_set, unit=county, entries={})
    with pytest.raises(PermissionDenied):
        svc.save_host_scores(actor=sec, indicator_set=province_set, unit=county, entries={})
    adj = svc.request_adjustment(
        actor=world.alice,
        indicator_set=province_set,
        unit=county,
        kind="bonus",
        points="3",
        reason="获评全省基层党建示范县",
    )
    with pytest.raises(ValidationError):
        svc.decide_adjustment(actor=world.alice, adjustment=adj, approve=True)
    approver = make_user("ivy", (Role.ORGANISER, world.province))
    svc.decide_adjustment(actor=approver, adjustment=adj, approve=True)
    assert Adjustment.objects.get(pk=adj.pk).status == AdjustmentStatus.APPROVED
    with pytest.raises(ValidationError):
        svc.decide_adjustment(actor=approver, adjustment=adj, approve=False, note="重复")
    row = selectors.grid(province_set, [county])[0]
    assert row.total == Decimal("39.50")  # 17.5 + 19 + 3 bonus
    assert row.self_total == Decimal("18.00")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "assessment.self_score",
        "assessment.host_score",
        "assessment.adjustment.request",
        "assessment.adjustment.decide",
    } <= actions


def test_automatic_items_from_ledger_and_reports(world, county_type, monkeypatch):
    from shuzhi.core import clock

    monkeypatch.setattr(clock, "today", lambda: datetime.date(2026, 11, 1))
    s = svc.create_set(actor=world.alice, host=world.province, year=2026, assessed_type=county_type)
    rate = svc.add_item(
        actor=world.alice,
        indicator_set=s,
        code="R1",
        name="问题整改完成率",
        max_points=10,
        source=ItemSource.RECT_RATE,
    )
    overdue = svc.add_item(
        actor=world.alice,
        indicator_set=s,
        code="R2",
        name="整改按期完成",
        max_points=5,
        source=ItemSource.RECT_OVERDUE,
        source_params={"per_item": "2"},
    )
    s = svc.publish_set(actor=world.alice, indicator_set=s)
    source = ProblemSource.objects.get(code="xuncha")
    county = world.county_a1
    for n, (status, deadline) in enumerate(
        [
            (ProblemStatus.CLOSED, datetime.date(2026, 6, 1)),
            (ProblemStatus.OPEN, datetime.date(2026, 6, 1)),
            (ProblemStatus.IN_PROGRESS, datetime.date(2026, 12, 1)),
            (ProblemStatus.OPEN, datetime.date(2026, 9, 1)),
        ]
    ):
        Problem.objects.create(
            unit=county,
            unit_path=county.path,
            year=2026,
            serial=n + 1,
            description=f"问题{n}",
            source=source,
            found_on=datetime.date(2026, 3, 1),
            deadline=deadline,
            status=status,
            verifier=world.alice if status == ProblemStatus.CLOSED else None,
        )
    with pytest.raises(ValidationError) as exc:
        svc.save_host_scores(
            actor=world.alice, indicator_set=s, unit=county, entries={rate.pk: {"points": "9"}}
        )
    assert "自动计分" in str(exc.value)
    row = selectors.grid(s, [county, world.county_a2])
    by_item = dict(zip([i.pk for i in selectors.items_of(s)], row[0].cells, strict=True))
    assert by_item[rate.pk].points == Decimal("2.50")  # 1 of 4 closed
    assert by_item[overdue.pk].points == Decimal("1.00")  # 5 − 2 × 2 overdue
    assert row[1].total == Decimal("15.00")  # no problems: full points


def test_wide_grid_sums_in_sql_what_the_cells_add_up_to(world, province_set, monkeypatch):
    """Totals come from SQL and cells from a second read: a grid read by its set (wide) and one
    read by unit ids agree with each other and with the per-item rule over the cells —
    including a stored score above its item's maximum (clamped) and a negative one."""
    items = selectors.items_of(province_set)
    county, other = world.county_a1, world.county_a2
    svc.save_host_scores(
        actor=world.alice,
        indicator_set=province_set,
        unit=county,
        entries={items[0].pk: {"points": "17.5"}, items[1].pk: {"points": "12"}},
    )
    svc.save_host_scores(
        actor=world.alice,
        indicator_set=province_set,
        unit=other,
        entries={items[0].pk: {"points": "3"}, items[2].pk: {"points": "4"}},
    )
    # Values the form refuses, written behind its back: the grid still clamps them.
    ItemScore.objects.filter(annual__unit=county, item=items[1]).update(host_points=Decimal("99"))
    ItemScore.objects.filter(annual__unit=other, item=items[2]).update(host_points=Decimal("-4"))
    narrow = selectors.grid(province_set, [county, other])
    monkeypatch.setattr(selectors, "WIDE_GRID", 0)
    wide = selectors.grid(province_set, [county, other])
    expected = [Decimal("37.50"), Decimal("3.00")]  # 17.5 + min(99, 20); 3 + max(−4, 0)
    assert [r.total for r in narrow] == [r.total for r in wide] == expected
    for row in wide:
        assert row.total == scoring.annual_total([(c.points, c.item.max_points) for c in row.cells])
    assert [[c.points for c in r.cells] for r in narrow] == [
        [c.points for c in r.cells] for r in wide
    ]
