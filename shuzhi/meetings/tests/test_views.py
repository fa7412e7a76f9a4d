"""Meeting pages: the session page (scoping, pinned query count, 投票管理 link), creating a
session under the top-down rule, the draw and its replay check, roster and sign-in, and the
chair's agenda with htmx refresh and the clock script."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from shuzhi.meetings import services as ms
from shuzhi.meetings.models import ReportMode, SessionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(world, province_round):
    session = ms.create_session(
        actor=world.alice,
        round=province_round,
        title="述职评议会",
        date=datetime.date(2026, 12, 20),
    )
    ms.add_session_reporters(actor=world.alice, session=session)
    for category in ms.init_roster(actor=world.alice, session=session):
        ms.set_category_counts(actor=world.alice, category=category, expected=10)
    return session


@pytest.mark.smoke
def test_session_page_scoping_and_link(client, world, session):
    url = reverse("session_detail", args=[session.pk])
    for persona in (world.bob, world.carol, world.dave, world.erin):
        client.force_login(persona)
        assert client.get(url).status_code == 404
    client.force_login(world.alice)
    response = client.get(url)
    assert response.status_code == 200
    assert f'href="/ballots/session/{session.pk}/"' in response.text
    assert "投票管理" in response.text
    assert "未达到会要求" in response.text


def test_session_page_query_count_is_pinned(client, world, session, django_assert_num_queries):
    client.force_login(world.alice)
    # session, user, grants, session+round+host, agenda, categories, quorum
    with django_assert_num_queries(7):
        client.get(reverse("session_detail", args=[session.pk]))


def test_readers_get_403_on_changes(client, world, province_round):
    city_round = province_round.__class__.objects.create(host=world.city_b, year=2026, title="深")
    s = ms.create_session(
        actor=world.alice,
        round=city_round,
        title="会",
        date=datetime.date(2027, 1, 5),
        override_reason="测试",
    )
    client.force_login(world.carol)
    assert client.get(reverse("session_detail", args=[s.pk])).status_code == 200
    assert (
        client.post(reverse("session_status", args=[s.pk]), {"status": "in_progress"}).status_code
        == 403
    )
    assert client.get(reverse("session_create", args=[city_round.pk])).status_code == 403


def test_create_session_page_with_top_down_refusal(client, world, province_round):
    from shuzhi.cycles import services as cs

    city_round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    client.force_login(world.alice)
    url = reverse("session_create", args=[city_round.pk])
    data = {"title": "市委述职评议会", "date": "2027-01-10", "place": "市委礼堂"}
    response = client.post(url, data)
    assert response.status_code == 200 and "自上而下" in response.text
    response = client.post(url, {**data, "override_reason": "上级会议延期"})
    assert response.status_code == 302
    city_round.refresh_from_db()
    assert city_round.schedule_override_reason == "上级会议延期"


def test_draw_and_replay_check_pages(client, world, session):
    client.force_login(world.alice)
    response = client.post(
        reverse("session_draw", args=[session.pk]), {"method": "random", "live_count": 1}
    )
    assert response.status_code == 302
    assert session.reporters.filter(mode=ReportMode.LIVE).count() == 1
    response = client.get(reverse("session_draw_check", args=[session.pk]))
    assert "一致" in response.text and response.context["check"].matches
    client.force_login(world.carol)
    assert client.get(reverse("session_draw_check", args=[session.pk])).status_code == 404


def test_roster_sign_in_pages(client, world, session):
    client.force_login(world.alice)
    leaders = session.categories.get(code="leaders")
    client.post(reverse("session_member_add", args=[session.pk, leaders.pk]), {"name": "张三"})
    member = leaders.members.get()
    client.post(reverse("session_member_sign", args=[session.pk, member.pk]), {"signed_in": "1"})
    leaders.refresh_from_db()
    assert leaders.present == 1
    members = session.categories.get(code="members")
    client.post(
        reverse("session_category_counts", args=[session.pk, members.pk]),
        {"expected": 10, "present": 6},
    )
    response = client.get(reverse("session_roster", args=[session.pk]))
    assert response.context["quorum"].present == 7
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("m.csv", "category,name\nnope,李四\n".encode())
    response = client.post(reverse("session_members_import", args=[session.pk]), {"file": bad})
    assert [e.row for e in response.context["row_errors"]] == [2]


def test_agenda_page_and_speakers(client, world, session):
    client.force_login(world.alice)
    first = session.reporters.order_by("position").first()
    ms.set_report_mode(actor=world.alice, entry=first, mode=ReportMode.LIVE)
    ms.transition_session(actor=world.alice, session=session, status=SessionStatus.IN_PROGRESS)
    url = reverse("session_agenda", args=[session.pk])
    response = client.get(url)
    assert 'hx-trigger="every 5s"' in response.text
    assert "meetings/agenda-clock.js" in response.text
    assert "<script>" not in response.text
    client.post(reverse("session_speaker", args=[session.pk, first.pk, "start"]))
    response = client.get(reverse("session_agenda_panel", args=[session.pk]))
    assert "data-started-at=" in response.text and "结束述职" in response.text
    client.post(reverse("session_speaker", args=[session.pk, first.pk, "finish"]))
    first.refresh_from_db()
    assert first.ended_at is not None
    client.force_login(world.carol)
    assert client.get(url).status_code == 404
