"""Meeting services: the status table (every pair), the top-down rule and its override, the
agenda, the live draw (manual, random with replay, rotation), speakers, roster and sign-in,
quorum, and the audit entry each write leaves."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuzhi.core.models import AuditEntry
from shuzhi.cycles import services as cs
from shuzhi.meetings import draw, selectors
from shuzhi.meetings import services as ms
from shuzhi.meetings.models import (
    LiveDrawMethod,
    ReportMode,
    RosterMember,
    Session,
    SessionReporter,
    SessionStatus,
)
from shuzhi.meetings.transitions import SESSION
from shuzhi.orgs.imports.tabular import read_csv

pytestmark = pytest.mark.django_db
D = datetime.date
S = SessionStatus


MEETING_DAY = D(2026, 12, 20)


def _session(world, round, date=MEETING_DAY, **kwargs):
    return ms.create_session(
        actor=world.alice, round=round, title="述职评议会", date=date, **kwargs
    )


@pytest.mark.smoke
@pytest.mark.parametrize(("start", "target"), list(itertools.product(S.values, S.values)))
def test_every_status_pair_follows_the_table(world, province_round, start, target):
    session = _session(world, province_round)
    Session.objects.filter(pk=session.pk).update(status=start)
    if target in SESSION.targets(start):
        ms.transition_session(actor=world.alice, session=session, status=target)
        session.refresh_from_db()
        assert session.status == target
        entry = AuditEntry.objects.get(action="session.status")
        assert entry.changes == {"status": [start, target]}
    else:
        with pytest.raises(ValidationError):
            ms.transition_session(actor=world.alice, session=session, status=target)
        session.refresh_from_db()
        assert session.status == start
        assert not AuditEntry.objects.filter(action="session.status").exists()


def test_transition_table_is_a_chain():
    chain = {
        S.PLANNED: {S.IN_PROGRESS},
        S.IN_PROGRESS: {S.CLOSED},
        S.CLOSED: {S.PUBLISHED},
        S.PUBLISHED: set(),
    }
    assert chain == {status: set(SESSION.targets(status)) for status in S.values}
    assert SESSION.targets("unknown") == []


def test_transition_refused_for_readers(world, province_round):
    session = _session(world, province_round)
    for persona in (world.bob, world.carol, world.erin):
        with pytest.raises(PermissionDenied):
            ms.transition_session(actor=persona, session=session, status=S.IN_PROGRESS)


def test_session_date_must_fall_in_the_round_years(world, province_round):
    with pytest.raises(ValidationError) as exc:
        _session(world, province_round, date=D(2025, 12, 1))
    assert "2026 年或 2027 年" in exc.value.message_dict["date"][0]
    with pytest.raises(ValidationError):
        ms.create_session(actor=world.alice, round=province_round, title=" ", date=D(2026, 12, 1))


# --- Top-down ---------------------------------------------------------------------------------


def _city_round(world):
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440103")
    return round


def test_top_down_refuses_until_the_parent_session_is_closed(world, province_round):
    city_round = _city_round(world)
    with pytest.raises(ValidationError) as exc:
        _session(world, city_round, date=D(2027, 1, 10))
    assert "自上而下" in exc.value.message_dict["date"][0]
    parent = _session(world, province_round, date=D(2026, 12, 20))
    ms.add_session_reporters(actor=world.alice, session=parent)
    with pytest.raises(ValidationError):  # heard, but not yet closed
        _session(world, city_round, date=D(2027, 1, 10))
    ms.transition_session(actor=world.alice, session=parent, status=S.IN_PROGRESS)
    ms.transition_session(actor=world.alice, session=parent, status=S.CLOSED)
    with pytest.raises(ValidationError):  # closed, but not earlier
        _session(world, city_round, date=D(2026, 12, 20))
    session = _session(world, city_round, date=D(2027, 1, 10))
    assert session.status == S.PLANNED
    assert not AuditEntry.objects.filter(action="round.schedule_override").exists()


def test_top_down_binds_only_when_the_parent_round_lists_the_host(world, province_round):
    province_round.reporters.filter(unit=world.city_a).delete()
    city_round = _city_round(world)
    assert _session(world, city_round, date=D(2026, 11, 1))
    county_round = cs.create_round(actor=world.alice, host=world.county_b1, year=2026)
    assert _session(world, county_round, date=D(2026, 11, 1))  # no city B round at all


def test_top_down_override_is_stored_and_audited(world, province_round):
    city_round = _city_round(world)
    session = _session(world, city_round, date=D(2026, 11, 1), override_reason="省委会议延期")
    city_round.refresh_from_db()
    assert city_round.schedule_override_reason == "省委会议延期"
    entry = AuditEntry.objects.get(action="round.schedule_override")
    assert entry.changes["schedule_override_reason"] == ["", "省委会议延期"]
    assert entry.scope_path == world.city_a.path
    # Moving the date later is checked again.
    with pytest.raises(ValidationError):
        ms.update_session(actor=world.alice, session=session, date=D(2026, 11, 2))
    ms.update_session(
        actor=world.alice, session=session, date=D(2026, 11, 2), override_reason="再延"
    )
    assert AuditEntry.objects.filter(action="round.schedule_override").count() == 2


# --- Agenda and draw --------------------------------------------------------------------------


def _agenda(world, round):
    session = _session(world, round)
    ms.add_session_reporters(actor=world.alice, session=session)
    return session


def test_add_and_reorder_reporters(world, province_round):
    session = _agenda(world, province_round)
    entries = list(session.reporters.order_by("position"))
    assert [e.reporter.unit.code for e in entries] == ["440100", "440300"]
    assert ms.add_session_reporters(actor=world.alice, session=session) == []
    ms.move_session_reporter(actor=world.alice, entry=entries[1], offset=-1)
    assert list(session.reporters.order_by("position").values_list("pk", flat=True)) == [
        entries[1].pk,
        entries[0].pk,
    ]
    entry = AuditEntry.objects.get(action="session.reporters.order")
    assert entry.changes["order"] == [["440100", "440300"], ["440300", "440100"]]
    with pytest.raises(ValidationError):
        ms.reorder_session_reporters(actor=world.alice, session=session, order=[entries[0].pk])
    with pytest.raises(ValidationError):
        ms.add_session_reporters(
            actor=world.alice, session=session, reporters=[_city_round(world).reporters.get()]
        )


def test_manual_mode_and_draw(world, province_round):
    session = _agenda(world, province_round)
    first, second = session.reporters.order_by("position")
    ms.draw_live(actor=world.alice, session=session, method="manual", chosen=[second.pk])
    assert set(session.reporters.filter(mode=ReportMode.LIVE)) == {second}
    ms.set_report_mode(actor=world.alice, entry=first, mode=ReportMode.LIVE)
    assert session.reporters.filter(mode=ReportMode.LIVE).count() == 2
    with pytest.raises(ValidationError):
        ms.set_report_mode(actor=world.alice, entry=first, mode="video")
    assert AuditEntry.objects.filter(action="session.reporter.mode").count() == 1


@pytest.mark.smoke
def test_random_draw_is_replayable(world, province_round):
    session = _agenda(world, province_round)
    live = ms.draw_live(actor=world.alice, session=session, method="random", live_count=1)
    session.refresh_from_db()
    assert len(session.live_draw_seed) == 32 and session.live_count == 1
    assert [e.reporter.unit.code for e in live] == draw.random_draw(
        ["440300", "440100"], 1, session.live_draw_seed
    )
    check = selectors.replay_draw(session)
    assert check.replayable and check.matches
    assert check.codes == ["440100", "440300"]
    # Tampering with the modes after the draw is caught by the replay.
    SessionReporter.objects.filter(session=session).update(mode=ReportMode.WRITTEN)
    assert not selectors.replay_draw(session).matches
    entry = AuditEntry.objects.get(action="session.draw")
    assert session.live_draw_seed in entry.note


def test_random_draw_is_deterministic_and_seeds_differ():
    codes = [f"47{i:02d}00" for i in range(1, 15)]
    assert draw.random_draw(codes, 5, "abc") == draw.random_draw(list(reversed(codes)), 5, "abc")
    assert len(set(draw.random_draw(codes, 5, "abc"))) == 5
    assert draw.new_seed() != draw.new_seed()
    assert draw.random_draw(codes, 99, "x") and len(draw.random_draw(codes, 99, "x")) == 14


def test_draw_refusals(world, province_round):
    session = _session(world, province_round)
    with pytest.raises(ValidationError):
        ms.draw_live(actor=world.alice, session=session, method="random", live_count=1)
    ms.add_session_reporters(actor=world.alice, session=session)
    with pytest.raises(ValidationError) as exc:
        ms.draw_live(actor=world.alice, session=session, method="random", live_count=3)
    assert "不能超过" in exc.value.message_dict["live_count"][0]
    with pytest.raises(ValidationError):
        ms.draw_live(actor=world.alice, session=session, method="lottery", live_count=1)
    with pytest.raises(PermissionDenied):
        ms.draw_live(actor=world.bob, session=session, method="random", live_count=1)


def _history(world, year, live_codes, codes):
    """A closed session of ``year`` in which ``live_codes`` reported live."""
    round = cs.create_round(actor=world.alice, host=world.province, year=year)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes=codes)
    session = ms.create_session(actor=world.alice, round=round, title="往年", date=D(year, 12, 1))
    ms.add_session_reporters(actor=world.alice, session=session)
    session.reporters.filter(reporter__unit__code__in=live_codes).update(mode=ReportMode.LIVE)
    return session


def test_rotation_picks_units_not_live_within_the_window(world, province_round):
    from shuzhi.core.testing import make_unit

    for code, name in [("440400", "珠海市委"), ("440500", "汕头市委"), ("440600", "佛山市委")]:
        make_unit(code, name, "city", world.province)
    codes = "440100 440300 440400 440500 440600"
    cs.add_reporters_by_codes(actor=world.alice, round=province_round, codes="440400 440500 440600")
    cs.update_round(actor=world.alice, round=province_round, live_rotation_years=3)
    _history(world, 2025, ["440100", "440300"], codes)
    _history(world, 2024, ["440400"], codes)
    _history(world, 2023, ["440500"], codes)  # outside the window [2024, 2025]
    session = _agenda(world, province_round)
    assert ms.rotation_overdue(session, codes.split()) == ["440500", "440600"]
    live = ms.draw_live(actor=world.alice, session=session, method="rotation", live_count=3)
    codes_live = [e.reporter.unit.code for e in live]
    assert codes_live[:2] == ["440500", "440600"]
    assert codes_live[2] in {"440100", "440300", "440400"}
    assert selectors.replay_draw(Session.objects.get(pk=session.pk)).matches
    # More overdue units than places: all of them still report live.
    live = ms.draw_live(actor=world.alice, session=session, method="rotation", live_count=1)
    assert sorted(e.reporter.unit.code for e in live) == ["440500", "440600"]


def test_rotation_with_one_year_window_draws_at_random(world, province_round):
    cs.update_round(actor=world.alice, round=province_round, live_rotation_years=1)
    session = _agenda(world, province_round)
    assert ms.rotation_overdue(session, ["440100", "440300"]) == ["440100", "440300"]


# --- Speakers ---------------------------------------------------------------------------------


def test_speakers_start_and_finish(world, province_round):
    session = _agenda(world, province_round)
    first, second = session.reporters.order_by("position")
    ms.draw_live(actor=world.alice, session=session, method="manual", chosen=[first.pk, second.pk])
    with pytest.raises(ValidationError):  # the meeting has not begun
        ms.start_speaker(actor=world.alice, entry=first)
    ms.transition_session(actor=world.alice, session=session, status=S.IN_PROGRESS)
    ms.start_speaker(actor=world.alice, entry=first)
    assert selectors.agenda(session).current == first
    assert selectors.agenda(session).next == second
    ms.start_speaker(actor=world.alice, entry=second)  # finishes the first
    first.refresh_from_db()
    assert first.ended_at is not None
    with pytest.raises(ValidationError):
        ms.start_speaker(actor=world.alice, entry=first)
    ms.finish_speaker(actor=world.alice, entry=second)
    with pytest.raises(ValidationError):
        ms.finish_speaker(actor=world.alice, entry=second)
    assert selectors.agenda(session).current is None
    assert AuditEntry.objects.filter(action__startswith="session.speaker.").count() == 3
    with pytest.raises(PermissionDenied):
        ms.finish_speaker(actor=world.bob, entry=second)


def test_written_reporters_do_not_speak(world, province_round):
    session = _agenda(world, province_round)
    ms.transition_session(actor=world.alice, session=session, status=S.IN_PROGRESS)
    with pytest.raises(ValidationError):
        ms.start_speaker(actor=world.alice, entry=session.reporters.first())


# --- Roster and quorum ------------------------------------------------------------------------


@pytest.mark.smoke
def test_roster_counts_and_quorum_edges(world, province_round):
    session = _session(world, province_round)
    categories = ms.init_roster(actor=world.alice, session=session)
    assert categories[0].label == "领导班子成员"
    assert str(categories[0].weight) == "0.3000"
    assert ms.init_roster(actor=world.alice, session=session) == categories
    leaders = categories[0]
    ms.set_category_counts(actor=world.alice, category=leaders, expected=10)
    assert selectors.quorum_status(session) == selectors.QuorumStatus(False, 10, 0, 6)
    ms.set_category_counts(actor=world.alice, category=leaders, present=5)
    status = selectors.quorum_status(session)
    assert (status.met, status.present, status.needed) == (False, 5, 6)  # exactly half
    ms.set_category_counts(actor=world.alice, category=leaders, present=6)
    assert selectors.quorum_status(session).met
    with pytest.raises(ValidationError):
        ms.set_category_counts(actor=world.alice, category=leaders, present=11)
    with pytest.raises(ValidationError):
        ms.set_category_counts(actor=world.alice, category=leaders, expected=-1)
    assert AuditEntry.objects.filter(action="session.roster.counts").count() == 3


def test_quorum_with_nobody_expected_and_odd_counts(world, province_round):
    session = _session(world, province_round)
    assert selectors.quorum_status(session) == selectors.QuorumStatus(False, 0, 0, 1)
    category = ms.init_roster(actor=world.alice, session=session)[1]
    ms.set_category_counts(actor=world.alice, category=category, expected=7, present=4)
    assert selectors.quorum_status(session) == selectors.QuorumStatus(True, 7, 4, 4)
    cs.update_round(actor=world.alice, round=province_round, quorum_ratio="0.667")
    session = Session.objects.get(pk=session.pk)
    assert selectors.quorum_status(session) == selectors.QuorumStatus(False, 7, 4, 5)


def test_named_members_sign_in(world, province_round):
    session = _session(world, province_round)
    leaders = ms.init_roster(actor=world.alice, session=session)[0]
    a = ms.add_member(actor=world.alice, category=leaders, name="张三")
    ms.add_member(actor=world.alice, category=leaders, name="李四")
    with pytest.raises(ValidationError):
        ms.add_member(actor=world.alice, category=leaders, name="张三")
    leaders.refresh_from_db()
    assert (leaders.expected, leaders.present) == (2, 0)
    ms.sign_in(actor=world.alice, member=a)
    leaders.refresh_from_db()
    assert leaders.present == 1
    with pytest.raises(ValidationError):  # counted from names, not typed in
        ms.set_category_counts(actor=world.alice, category=leaders, present=2)
    ms.sign_in(actor=world.alice, member=a, signed_in=False)
    leaders.refresh_from_db()
    assert leaders.present == 0
    assert AuditEntry.objects.filter(action="session.roster.sign_in").count() == 2


def test_import_members_reports_bad_rows(world, province_round):
    session = _session(world, province_round)
    ms.init_roster(actor=world.alice, session=session)
    bad = read_csv("category,name\nleaders,张三\n不存在,李四\nmembers,\nleaders,张三\n".encode())
    count, errors = ms.import_members(actor=world.alice, session=session, table=bad)
    assert count == 0 and [e.row for e in errors] == [3, 4, 5]
    assert not RosterMember.objects.exists()
    good = read_csv("类别,姓名\n领导班子成员,张三\nmembers,李四\n".encode())
    count, errors = ms.import_members(actor=world.alice, session=session, table=good)
    assert (count, errors) == (2, [])
    assert session.categories.get(code="members").expected == 1


def test_closed_session_refuses_roster_changes(world, province_round):
    session = _session(world, province_round)
    leaders = ms.init_roster(actor=world.alice, session=session)[0]
    Session.objects.filter(pk=session.pk).update(status=S.CLOSED)
    with pytest.raises(ValidationError):
        ms.set_category_counts(actor=world.alice, category=leaders, expected=3)
    assert session.live_draw_method == LiveDrawMethod.MANUAL
