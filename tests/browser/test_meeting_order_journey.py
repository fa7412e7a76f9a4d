"""The meeting runs in order, in the browser: the organiser's console says the live reports
are not done before a formal ballot opens, refuses to open it without a reason (keeping the
supervisors typed), opens it with one; then says the turnout is short, refuses to close
without a reason and closes with one. Both reasons end in the audit trail."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shuzhi.ballots.models import BallotRound
from shuzhi.ballots.tests.meeting_setup import make_meeting
from shuzhi.core.models import AuditEntry
from shuzhi.meetings.models import ReportMode, SessionReporter
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def production_turnout(settings):
    settings.SHUZHI_BALLOT_CLOSE_TURNOUT = "2/3"


def test_opening_before_the_reports_are_done_needs_a_reason(page, world):
    meeting = make_meeting(world)
    SessionReporter.objects.filter(session=meeting.session).update(mode=ReportMode.LIVE)
    first = meeting.reporters[0]
    SessionReporter.objects.filter(pk=first.pk).update(
        started_at=timezone.now(), ended_at=timezone.now()
    )
    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/ballots/session/{meeting.session.pk}/")
    guard = page.locator("#agenda-guard")
    expect(guard).to_contain_text("现场述职尚未全部结束")
    expect(guard).to_contain_text("2. 第2党委")
    page.get_by_label("监票人（每行一名）").fill("王监票\n赵监票")
    page.get_by_label("开箱所需人数").fill("2")
    page.get_by_role("button", name="开始正式投票").click()
    expect(page.get_by_role("alert").filter(has_text="请填写理由")).to_be_visible()
    # Nothing typed is lost, and nothing opened.
    expect(page.get_by_label("监票人（每行一名）")).to_have_value("王监票\n赵监票")
    assert not BallotRound.objects.exists()
    page.get_by_label("提前开始正式投票的理由").fill("两位述职人因公外出，改为会后书面述职")
    page.get_by_role("button", name="开始正式投票").click()
    expect(page.get_by_text("王监票")).to_be_visible()
    rnd = BallotRound.objects.get()
    assert rnd.status == "open"
    entry = AuditEntry.objects.get(action="ballot.round_open", object_id=str(rnd.pk))
    assert "两位述职人因公外出" in entry.note


def test_closing_under_the_turnout_needs_a_reason(page, world):
    from shuzhi.ballots import services

    meeting = make_meeting(world)  # 10 present, no ballot yet
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    login(page, "alice", "pw-alice")
    page.goto(f"{page.base_url}/ballots/session/{meeting.session.pk}/")
    guard = page.locator(f"#turnout-guard-{rnd.pk}")
    expect(guard).to_contain_text("已投 0 票，实到 10 人")
    expect(guard).to_contain_text("三分之二（至少 7 票）")
    page.get_by_role("button", name="结束投票").click()
    expect(page.get_by_role("alert").filter(has_text="请填写理由")).to_be_visible()
    rnd.refresh_from_db()
    assert rnd.status == "open"
    page.get_by_label("投票率不足仍结束投票的理由").fill("会议议程调整，经主持人同意")
    page.get_by_role("button", name="结束投票").click()
    expect(page.get_by_text("选票待监票人开箱计票")).to_be_visible()
    rnd.refresh_from_db()
    assert rnd.status == "closed"
    assert AuditEntry.objects.filter(
        object_id=str(rnd.pk), note__contains="会议议程调整，经主持人同意"
    ).exists()
