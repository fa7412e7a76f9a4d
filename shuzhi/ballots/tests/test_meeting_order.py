"""The meeting runs in order (issue #12): a formal ballot opens only once the live reports it
covers are done, or with a reason that the audit trail keeps; closing a formal ballot under the
round's turnout (2/3 of those present by default, a setting per round) asks for a reason that
the audit trail keeps. Each refusal explains itself in Chinese, on the page and in the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shuzhi.ballots import order, services
from shuzhi.ballots.models import Ballot, BallotRound, BallotRoundStatus
from shuzhi.ballots.tests.meeting_setup import full_ballot, make_meeting
from shuzhi.core.models import AuditEntry
from shuzhi.meetings.models import ReportMode, SessionReporter

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture(autouse=True)
def production_turnout(settings):
    """The production default (test settings ask for no turnout)."""
    settings.SHUZHI_BALLOT_CLOSE_TURNOUT = "2/3"


def _live(meeting, *, finished: int = 0) -> None:
    """Every reporter speaks live; the first ``finished`` have ended."""
    SessionReporter.objects.filter(session=meeting.session).update(mode=ReportMode.LIVE)
    for entry in meeting.reporters[:finished]:
        SessionReporter.objects.filter(pk=entry.pk).update(
            started_at=timezone.now(), ended_at=timezone.now()
        )


def _cast(world, rnd: BallotRound, n: int) -> None:
    """``n`` ballots stored directly (the vote's own path is tested elsewhere), against codes
    issued for the roster (more ballots than codes would void the round)."""
    if not rnd.codes.exists():
        services.issue_codes(actor=world.alice, ballot_round=rnd)
    rows = [(int(k), "overall", v["overall"]) for k, v in full_ballot(rnd).items()]
    for _ in range(n):
        Ballot.from_rows(round_id=rnd.pk, category="leaders", rows=rows).save(force_insert=True)


# --- Opening ---------------------------------------------------------------------------------


def test_a_formal_ballot_waits_for_the_live_reports(world):
    meeting = make_meeting(world)
    _live(meeting, finished=1)
    with pytest.raises(ValidationError) as refused:
        services.open_round(actor=world.alice, session=meeting.session)
    message = refused.value.message_dict["override_reason"][0]
    assert "现场述职尚未全部结束" in message and "2. 第2党委、3. 第3党委" in message
    assert "请填写理由" in message
    assert not BallotRound.objects.exists()
    # A rehearsal is no vote: it opens before the reports.
    rehearsal = services.open_round(actor=world.alice, session=meeting.session, is_test=True)
    assert rehearsal.is_test
    services.close_round(actor=world.alice, ballot_round=rehearsal)
    # A blank reason is no reason.
    with pytest.raises(ValidationError):
        services.open_round(actor=world.alice, session=meeting.session, override_reason="  ")
    rnd = services.open_round(
        actor=world.alice,
        session=meeting.session,
        override_reason="两位述职人因公缺席，改为书面述职",
    )
    entry = AuditEntry.objects.get(action="ballot.round_open", object_id=str(rnd.pk))
    assert entry.changes["agenda_override_reason"] == [None, "两位述职人因公缺席，改为书面述职"]
    assert "理由：两位述职人因公缺席" in entry.note


def test_a_formal_ballot_opens_without_a_word_once_the_reports_are_done(world):
    meeting = make_meeting(world)
    _live(meeting, finished=3)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    entry = AuditEntry.objects.get(action="ballot.round_open", object_id=str(rnd.pk))
    assert "agenda_override_reason" not in entry.changes and entry.note == ""


def test_written_reports_do_not_hold_the_ballot(world):
    meeting = make_meeting(world)  # everyone reports in writing: nobody speaks
    assert order.unfinished_speakers(meeting.session) == []
    assert services.open_round(actor=world.alice, session=meeting.session).status == "open"


def test_opening_early_through_the_api_explains_itself(client, world):
    meeting = make_meeting(world)
    _live(meeting)
    client.force_login(world.alice)
    url = f"/api/ballots/sessions/{meeting.session.pk}/rounds"
    response = client.post(url, {}, content_type=J)
    assert response.status_code == 422
    assert "现场述职尚未全部结束" in response.json()["errors"]["override_reason"][0]
    response = client.post(url, {"override_reason": "会议时间调整"}, content_type=J)
    assert response.status_code == 201


# --- Closing ---------------------------------------------------------------------------------


def test_closing_under_two_thirds_of_those_present_asks_for_a_reason(world):
    meeting = make_meeting(world, expected=(6, 4), present=(5, 4))  # 9 present: 6 needed
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    _cast(world, rnd, 5)
    with pytest.raises(ValidationError) as refused:
        services.close_round(actor=world.alice, ballot_round=rnd)
    message = refused.value.message_dict["reason"][0]
    assert "已投 5 票，实到 9 人" in message and "三分之二（至少 6 票）" in message
    rnd.refresh_from_db()
    assert rnd.status == BallotRoundStatus.OPEN
    closed = services.close_round(
        actor=world.alice, ballot_round=rnd, reason="部分代表提前离会，经主持人同意结束投票"
    )
    assert closed.status == BallotRoundStatus.CLOSED
    entry = AuditEntry.objects.get(object_id=str(rnd.pk), changes__has_key="turnout_reason")
    assert entry.changes["turnout_reason"][1] == "部分代表提前离会，经主持人同意结束投票"
    assert "投票率低于要求仍结束投票" in entry.note


def test_closing_at_the_turnout_asks_nothing(world):
    meeting = make_meeting(world, expected=(6, 4), present=(5, 4))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    _cast(world, rnd, 6)
    assert services.close_round(actor=world.alice, ballot_round=rnd).status == "closed"


def test_the_round_sets_its_own_turnout(world):
    meeting = make_meeting(world, expected=(6, 4), close_turnout=Decimal("0.5"))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    _cast(world, rnd, 4)  # 10 present: 5 needed at one half
    with pytest.raises(ValidationError, match="实到人数的 50%"):
        services.close_round(actor=world.alice, ballot_round=rnd)
    _cast(world, rnd, 1)
    assert services.close_round(actor=world.alice, ballot_round=rnd).status == "closed"
    # 0: no requirement at all; a test round never asks.
    other = make_meeting(world, year=2027, close_turnout=Decimal("0"))
    rnd = services.open_round(actor=world.alice, session=other.session)
    assert services.close_round(actor=world.alice, ballot_round=rnd).status == "closed"
    rehearsal = make_meeting(world, year=2028)
    rnd = services.open_round(actor=world.alice, session=rehearsal.session, is_test=True)
    assert services.close_round(actor=world.alice, ballot_round=rnd).status == "closed"


def test_closing_early_through_the_api_explains_itself(client, world):
    meeting = make_meeting(world)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    client.force_login(world.alice)
    url = f"/api/ballots/rounds/{rnd.pk}/close"
    response = client.post(url, {}, content_type=J)
    assert response.status_code == 422
    assert "投票率 0%" in response.json()["errors"]["reason"][0]
    response = client.post(url, {"reason": "演练后提前结束"}, content_type=J)
    assert response.status_code == 200 and response.json()["status"] == "closed"


# --- The console says it before anyone clicks ----------------------------------------------------


def test_the_console_shows_each_guard_and_keeps_what_was_typed(client, world):
    meeting = make_meeting(world)
    _live(meeting, finished=2)
    client.force_login(world.alice)
    console = f"/ballots/session/{meeting.session.pk}/"
    page = client.get(console).content.decode()
    assert 'id="agenda-guard"' in page and "3. 第3党委未述职完毕" in page
    response = client.post(
        f"/ballots/session/{meeting.session.pk}/open/",
        {"supervisors": "张监票\n李监票", "threshold": "2"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "张监票\n李监票" in page and "请填写理由" in page
    assert not BallotRound.objects.exists()
    response = client.post(
        f"/ballots/session/{meeting.session.pk}/open/",
        {"supervisors": "张监票\n李监票", "threshold": "2", "override_reason": "时间紧"},
    )
    assert response.status_code == 200
    rnd = BallotRound.objects.get()
    page = client.get(console).content.decode()
    assert f'id="turnout-guard-{rnd.pk}"' in page and "投票率 0%" in page
    response = client.post(f"/ballots/round/{rnd.pk}/close/", follow=True)
    assert "请填写理由" in response.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == "open"
    client.post(f"/ballots/round/{rnd.pk}/close/", {"reason": "会议议程调整"})
    rnd.refresh_from_db()
    assert rnd.status == "closed"


def test_the_turnout_is_a_policy_of_the_round(world):
    """Set on the round (services, the round's form), checked, and cleared to the default."""
    from shuzhi.cycles import services as cycles

    meeting = make_meeting(world)
    for bad in ("1.5", "-0.1", "两成"):
        with pytest.raises(ValidationError) as refused:
            cycles.update_round(actor=world.alice, round=meeting.round, close_turnout=bad)
        assert "投票率下限" in refused.value.message_dict["close_turnout"][0]
    rnd = cycles.update_round(actor=world.alice, round=meeting.round, close_turnout="0.75")
    assert rnd.close_turnout == Decimal("0.750")
    assert AuditEntry.objects.filter(
        action="round.update", changes__has_key="close_turnout"
    ).exists()
    rnd = cycles.update_round(actor=world.alice, round=rnd, close_turnout=None)
    assert rnd.close_turnout is None
