"""The meeting runs in order: starting a session on another day than planned asks to confirm
the date (which then becomes the session's date, audited), and the round is 进行中 from the
moment its first session starts."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from shuzhi.core.models import AuditEntry
from shuzhi.cycles.models import RoundStatus
from shuzhi.meetings import services as ms
from shuzhi.meetings.models import Session, SessionStatus

pytestmark = pytest.mark.django_db
S = SessionStatus


def _session(world, rnd, date):
    return ms.create_session(actor=world.alice, round=rnd, title="述职评议会", date=date)


def test_starting_on_another_day_asks_to_confirm_the_date(world, province_round):
    planned = timezone.localdate() + datetime.timedelta(days=13)
    session = _session(world, province_round, planned)
    with pytest.raises(ValidationError) as refused:
        ms.transition_session(
            actor=world.alice, session=session, status=S.IN_PROGRESS, confirm_date=False
        )
    message = refused.value.message_dict["date"][0]
    assert f"计划于 {planned:%Y-%m-%d} 召开" in message and "确认今天召开" in message
    session.refresh_from_db()
    assert session.status == S.PLANNED
    province_round.refresh_from_db()
    assert province_round.status == RoundStatus.DRAFT

    ms.transition_session(
        actor=world.alice, session=session, status=S.IN_PROGRESS, confirm_date=True
    )
    session.refresh_from_db()
    assert (session.status, session.date) == (S.IN_PROGRESS, timezone.localdate())
    entry = AuditEntry.objects.get(action="session.date_confirm")
    assert entry.changes["date"] == [planned.isoformat(), timezone.localdate().isoformat()]
    province_round.refresh_from_db()
    assert province_round.status == RoundStatus.ACTIVE  # the first session started the round


def test_a_session_on_its_planned_day_starts_without_asking(world, province_round):
    session = _session(world, province_round, timezone.localdate())
    ms.transition_session(
        actor=world.alice, session=session, status=S.IN_PROGRESS, confirm_date=False
    )
    province_round.refresh_from_db()
    assert province_round.status == RoundStatus.ACTIVE
    # A second session of an active round leaves the round as it is.
    other = _session(world, province_round, timezone.localdate())
    ms.transition_session(
        actor=world.alice, session=other, status=S.IN_PROGRESS, confirm_date=False
    )
    assert Session.objects.filter(status=S.IN_PROGRESS).count() == 2


def test_the_page_explains_and_offers_the_confirmation(client, world, province_round):
    planned = timezone.localdate() - datetime.timedelta(days=2)
    session = _session(world, province_round, planned)
    client.force_login(world.alice)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "确认今天召开" in page
    url = reverse("session_status", args=[session.pk])
    refused = client.post(url, {"status": S.IN_PROGRESS}, follow=True).content.decode()
    assert f"计划于 {planned:%Y-%m-%d} 召开" in refused
    assert Session.objects.get(pk=session.pk).status == S.PLANNED
    client.post(url, {"status": S.IN_PROGRESS, "confirm_date": "1"})
    assert Session.objects.get(pk=session.pk).status == S.IN_PROGRESS
