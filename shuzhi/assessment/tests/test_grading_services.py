"""Grading services: formula, suggestions with derivations, decisions, the one confirming act,
corrections that supersede, acknowledgement — and who may do each."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuzhi.accounts.models import Role
from shuzhi.assessment.grading import selectors as sel
from shuzhi.assessment.grading import services as gs
from shuzhi.assessment.grading.models import GradeRow, GradingStatus
from shuzhi.assessment.indicators import services as svc
from shuzhi.core.models import AuditEntry, Notification
from shuzhi.core.testing import make_user

from .grading_setup import FORMULA, THRESHOLDS, finished_session


@pytest.fixture
def session(world):
    return finished_session(world)


def _grading(world, session, **policies):
    return gs.save_grading(
        actor=world.alice,
        round=session.annual,
        formula=FORMULA,
        thresholds=THRESHOLDS,
        policies=policies,
    )


def _rows(grading):
    return {r.reporter.unit.name: r for r in sel.rows_of(grading)}


def test_suggestions_carry_components_and_derivations(world, session):
    grading = _grading(world, session)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    rows = _rows(grading)
    assert [rows[n].composite for n in ("广州市委", "深圳市委", "荔湾区委")] == [
        Decimal("100.00"),
        Decimal("92.00"),
        Decimal("60.00"),
    ]
    assert [rows[n].suggested for n in ("广州市委", "深圳市委", "荔湾区委")] == [
        "good",
        "good",
        "average",
    ]
    b = rows["深圳市委"]
    assert b.components["ballot_score"]["value"] == "90.00"
    assert "好 占有效票 10 张的 90.00%" in b.components["ballot_score"]["derivation"]
    assert "本年度无整改问题" in b.components["rectification"]["derivation"]
    assert b.components["_composite"]["derivation"] == (
        "0.8 × 90.00（民主测评得分） + 0.2 × 100.00（整改成效） = 92.00"
    )
    assert "≥ 好分数线 90" in b.derivation
    assert (rows["广州市委"].rank, b.rank, rows["荔湾区委"].rank) == (1, 2, 3)
    grading.refresh_from_db()
    assert grading.status == GradingStatus.SUGGESTED


def test_formula_is_validated_and_locked_once_grading_starts(world, session):
    with pytest.raises(ValidationError) as exc:
        gs.save_grading(
            actor=world.alice,
            round=session.annual,
            formula=[{"code": "ballot_score", "weight": "0.5"}],
            thresholds=THRESHOLDS,
        )
    assert "权重之和必须等于 1" in str(exc.value)
    grading = _grading(world, session)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    with pytest.raises(ValidationError) as exc:
        _grading(world, session)
    assert "公式已锁定" in str(exc.value)


def test_cap_drops_the_lower_composite(world, session):
    grading = _grading(world, session, good_cap_share="0.34")
    gs.compute_suggestions(actor=world.alice, grading=grading)
    rows = _rows(grading)
    assert rows["广州市委"].suggested == "good"
    assert rows["深圳市委"].suggested == "fair_good"
    assert "比例上限 0.34" in rows["深圳市委"].derivation


def test_an_impossible_cap_is_refused_at_save(world, session):
    with pytest.raises(ValidationError) as exc:
        _grading(world, session, good_cap_share="0.2")
    assert "任何评定都无法满足" in str(exc.value)


def test_missing_data_is_reported_not_counted(world, session):
    grading = gs.save_grading(
        actor=world.alice,
        round=session.annual,
        formula=[
            {"code": "ballot_score", "weight": "0.5", "method": "good_rate"},
            {"code": "critique_rating", "weight": "0.5"},
        ],
        thresholds=THRESHOLDS,
    )
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["广州市委"]
    assert row.composite is None and row.suggested == ""
    assert row.components["critique_rating"]["value"] is None
    assert "点评等次无数据，不计算综合得分" in row.derivation


def test_min_ballots_for_a_suggestion(world, session):
    grading = _grading(world, session, min_ballots_for_grade=11)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["广州市委"]
    assert row.composite == Decimal("100.00") and row.suggested == ""
    assert "少于给出建议等次的最少票数 11" in row.derivation


def test_a_category_below_the_minimum_enters_no_grade(world, session):
    """One ballot from a third category (below the floor of 2) rates 广州市委 一般: the tally
    leaves it out of every figure, and so does grading — by the same rule, not its own."""
    from shuzhi.ballots import tally
    from shuzhi.ballots.tests import tally_setup

    a = session.reporters[0].pk
    tally_setup.cast(session.ballot_round, "members", {a: "average"})
    counted = tally.compute(session.ballot_round)
    assert counted.rules.min_ballots == 2 and "members" in tally.small_categories(
        counted.ballots_by_category, counted.rules
    )
    tallied = next(r for r in counted.reporters if r.session_reporter_id == a)
    assert tallied.cast == 10 and tallied.good_rate == 1
    grading = _grading(world, session)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["广州市委"]
    assert row.components["ballot_score"]["value"] == "100.00"
    assert "占有效票 10 张" in row.components["ballot_score"]["derivation"]


def test_annual_score_component_reads_scores_and_approved_adjustments(world, session):
    county = svc.create_set(
        actor=world.alice,
        host=world.province,
        year=2026,
        assessed_type=world.county_a1.type,
    )
    item = svc.add_item(
        actor=world.alice, indicator_set=county, code="A1", name="标准化建设", max_points="50"
    )
    svc.add_item(
        actor=world.alice, indicator_set=county, code="A2", name="整顿转化", max_points="50"
    )
    county = svc.publish_set(actor=world.alice, indicator_set=county)
    svc.save_host_scores(
        actor=world.alice,
        indicator_set=county,
        unit=world.county_a1,
        entries={item.pk: {"points": "40", "comment": ""}},
    )
    adj = svc.request_adjustment(
        actor=world.root,
        indicator_set=county,
        unit=world.county_a1,
        kind="bonus",
        points="5",
        reason="获评先进",
    )
    svc.decide_adjustment(actor=world.alice, adjustment=adj, approve=True)
    grading = gs.save_grading(
        actor=world.alice,
        round=session.annual,
        formula=[{"code": "annual_score", "weight": "1"}],
        thresholds=THRESHOLDS,
    )
    gs.compute_suggestions(actor=world.alice, grading=grading)
    rows = _rows(grading)
    county_row = rows["荔湾区委"]
    assert county_row.components["annual_score"]["value"] == "45.00"
    assert "年度考核得分 45.00 ÷ 满分 100.00" in county_row.components["annual_score"]["derivation"]
    assert rows["广州市委"].components["annual_score"]["value"] is None  # no city set


def test_decide_requires_a_reason_and_respects_disqualifiers(world, session):
    grading = _grading(
        world, session, disqualifiers=[{"code": "accident", "label": "发生重大安全事故"}]
    )
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["深圳市委"]
    with pytest.raises(ValidationError) as exc:
        gs.decide_grade(actor=world.alice, row=row, final="fair_good")
    assert exc.value.message_dict == {"reason": ["评定等次与建议等次不同，必须说明理由。"]}
    row = gs.decide_grade(
        actor=world.alice, row=row, final="fair_good", reason="述职材料不实", opinion="需加强"
    )
    assert (row.final, row.reason, row.opinion) == ("fair_good", "述职材料不实", "需加强")
    assert AuditEntry.objects.filter(action="grading.decide", object_id=str(row.pk)).exists()
    a = _rows(grading)["广州市委"]
    with pytest.raises(ValidationError) as exc:
        gs.decide_grade(actor=world.alice, row=a, final="good", disqualifiers=["accident"])
    assert "存在否决情形，不得评为“好”" in str(exc.value)
    a = gs.decide_grade(actor=world.alice, row=a, final="fair_good", disqualifiers=["accident"])
    assert a.suggested == "fair_good" and "发生重大安全事故" in a.derivation


def test_confirm_is_one_act_and_locks(world, session):
    secretary = make_user("gz_secretary")
    secretary.person = session.reporters[0].reporter.person
    secretary.save()
    grading = _grading(world, session)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    before = AuditEntry.objects.filter(action__startswith="grading.").count()
    rows = gs.confirm_grades(actor=world.alice, grading=grading)
    assert len(rows) == 3
    # One act: one grading entry for all rows (the results app may record its own follow-ups).
    assert AuditEntry.objects.filter(action__startswith="grading.").count() - before == 1
    entry = AuditEntry.objects.get(action="grading.confirm")
    assert entry.action == "grading.confirm" and entry.changes["grades"][1]["广州市委"] == "好"
    grading.refresh_from_db()
    assert grading.status == GradingStatus.CONFIRMED and grading.locked_at
    note = Notification.objects.get(user=secretary, kind="grading.confirmed")
    assert "评定等次已确定" in note.title and "“好”" in note.body
    with pytest.raises(ValidationError):
        gs.compute_suggestions(actor=world.alice, grading=grading)
    with pytest.raises(ValidationError):
        gs.decide_grade(actor=world.alice, row=rows[0], final="poor", reason="x")
    with pytest.raises(ValidationError):
        gs.confirm_grades(actor=world.alice, grading=grading)


def test_confirm_refuses_a_cap_the_committee_broke(world, session):
    grading = _grading(world, session, good_cap_share="0.34")
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["深圳市委"]
    gs.decide_grade(actor=world.alice, row=row, final="good", reason="成绩突出")
    with pytest.raises(ValidationError) as exc:
        gs.confirm_grades(actor=world.alice, grading=grading)
    assert "超过比例上限 0.34 允许的 1 个" in str(exc.value)


def test_correction_supersedes_and_keeps_history(world, session):
    grading = _grading(world, session)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    gs.confirm_grades(actor=world.alice, grading=grading)
    old = _rows(grading)["荔湾区委"]
    with pytest.raises(ValidationError) as exc:
        gs.correct_grade(actor=world.alice, row=old, final="fair_good", reason=" ")
    assert "更正评定结果必须说明理由" in str(exc.value)
    new = gs.correct_grade(actor=world.alice, row=old, final="fair_good", reason="复核计票有误")
    old.refresh_from_db()
    assert (old.is_current, old.superseded_by_id, old.final) == (False, new.pk, "average")
    assert (new.is_current, new.final, new.reason) == (True, "fair_good", "复核计票有误")
    assert GradeRow.objects.filter(grading=grading, is_current=True).count() == 3
    with pytest.raises(ValidationError):
        gs.correct_grade(actor=world.alice, row=old, final="good", reason="再改")
    assert AuditEntry.objects.filter(action="grading.correct").count() == 1


def test_the_reporter_acknowledges_their_own_grade(world, session):
    grading = _grading(world, session)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["广州市委"]
    with pytest.raises(PermissionDenied):  # not yet confirmed
        gs.acknowledge(actor=world.bob, row=row)
    gs.confirm_grades(actor=world.alice, grading=grading)
    for outsider in (world.alice, world.carol, world.erin):
        with pytest.raises(PermissionDenied):
            gs.acknowledge(actor=outsider, row=row)
    with pytest.raises(PermissionDenied):  # bob's grant on 广州市委 reaches 荔湾区委, not "own"
        gs.acknowledge(actor=world.bob, row=_rows(grading)["荔湾区委"])
    row = gs.acknowledge(actor=world.bob, row=row)
    assert row.acknowledged_by == world.bob and row.acknowledged_at
    assert list(sel.own_rows(world.bob)) == [row]
    with pytest.raises(ValidationError):
        gs.acknowledge(actor=world.bob, row=row)


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "erin"])
def test_only_organisers_of_the_host_manage(world, session, who):
    user = getattr(world, who)
    with pytest.raises(PermissionDenied):
        gs.save_grading(actor=user, round=session.annual, formula=FORMULA, thresholds=THRESHOLDS)
    grading = _grading(world, session)
    with pytest.raises(PermissionDenied):
        gs.compute_suggestions(actor=user, grading=grading)
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = _rows(grading)["广州市委"]
    with pytest.raises(PermissionDenied):
        gs.decide_grade(actor=user, row=row, final="good")
    with pytest.raises(PermissionDenied):
        gs.confirm_grades(actor=user, grading=grading)
    gs.confirm_grades(actor=world.alice, grading=grading)
    with pytest.raises(PermissionDenied):
        gs.correct_grade(actor=user, row=row, final="poor", reason="x")


def test_an_organiser_below_the_host_cannot_manage(world, session):
    city_organiser = make_user("city_org", (Role.ORGANISER, world.city_a))
    with pytest.raises(PermissionDenied):
        _grading_as(city_organiser, session)


def _grading_as(user, session):
    return gs.save_grading(actor=user, round=session.annual, formula=FORMULA, thresholds=THRESHOLDS)


def test_gather_costs_the_same_queries_for_more_reporters(world, session):
    from shuzhi.ballots.tests import tally_setup
    from shuzhi.core.testing import make_unit
    from shuzhi.cycles.models import RoundReporter
    from shuzhi.meetings.models import SessionReporter

    formula = gs.composite.parse(
        [
            {"code": "annual_score", "weight": "0.2"},
            {"code": "ballot_score", "weight": "0.2", "method": "category_weighted"},
            {"code": "critique_rating", "weight": "0.2"},
            {"code": "rectification", "weight": "0.4"},
        ],
        THRESHOLDS,
        {},
        session.annual.scale,
    )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            facts = sel.gather(session.annual, formula)
        assert facts
        return len(ctx.captured_queries)

    small = count()
    for i in range(6):
        unit = make_unit(f"44990{i}", f"新单位{i}", "county", world.city_b)
        rr = RoundReporter.objects.create(round=session.annual, unit=unit, sort_order=10 + i)
        sr = SessionReporter.objects.create(session=session.session, reporter=rr, position=10 + i)
        tally_setup.cast(session.ballot_round, "leaders", {sr.pk: "good"})
    assert count() == small


def test_compute_and_confirm_cost_the_same_queries_for_more_reporters(world, session, monkeypatch):
    """Grading's own reads and writes do not grow with the reporters (the results app's
    follow-ups, run from the hook, are measured in its own tests)."""
    from shuzhi.ballots.tests import tally_setup
    from shuzhi.core.testing import make_unit
    from shuzhi.cycles.models import RoundReporter
    from shuzhi.meetings.models import SessionReporter
    from shuzhi.orgs.people.models import Person

    def run(setup) -> tuple[int, int]:
        grading = _grading(world, setup)
        with CaptureQueriesContext(connection) as computing:
            gs.compute_suggestions(actor=world.alice, grading=grading)
        with CaptureQueriesContext(connection) as confirming:
            gs.confirm_grades(actor=world.alice, grading=grading)
        return len(computing.captured_queries), len(confirming.captured_queries)

    monkeypatch.setattr(gs.results, "on_grades_confirmed", lambda **kwargs: [])
    first = make_user("first_secretary")
    first.person = session.reporters[0].reporter.person
    first.save()
    small = run(session)
    # The same province grades a larger round the next year: eight reporters, all with accounts.
    session.annual.year = 2025
    session.annual.save(update_fields=["year"])
    larger = finished_session(world)
    for i in range(5):
        unit = make_unit(f"44980{i}", f"加测单位{i}", "county", world.city_b)
        person = Person.objects.create(name=f"加测书记{i}", unit=unit)
        account = make_user(f"extra{i}")
        account.person = person
        account.save()
        rr = RoundReporter.objects.create(
            round=larger.annual, unit=unit, person=person, sort_order=10 + i
        )
        sr = SessionReporter.objects.create(session=larger.session, reporter=rr, position=10 + i)
        for category in ("leaders", "public"):
            tally_setup.cast(larger.ballot_round, category, {sr.pk: "fair_good"})
    assert run(larger) == small
