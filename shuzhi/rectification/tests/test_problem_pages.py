"""Problem pages: scope (404 outside, 403 visible but not allowed), the detail page with its
three lists, moves, notes, evidence download and chain; recording, editing, sources and year
rollover; query counts pinned."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from shuzhi.core.models import AuditEntry
from shuzhi.core.tests.samples import pdf_bytes, upload
from shuzhi.rectification import services
from shuzhi.rectification.models import Problem, ProblemSource, ProblemStatus

from .problem_fixtures import attach_pdf, record

pytestmark = pytest.mark.django_db
S = ProblemStatus


def _detail(problem):
    return reverse("problem_detail", args=[problem.pk])


def test_detail_scope(client, world, problem):
    for persona in (world.carol, world.erin):
        client.force_login(persona)
        assert client.get(_detail(problem)).status_code == 404
    for persona in (world.alice, world.bob, world.dave, world.root):
        client.force_login(persona)
        assert client.get(_detail(problem)).status_code == 200
    township = record(world, unit=world.township_a1x)
    client.force_login(world.bob)  # a secretary reaches one level down only
    assert client.get(_detail(township)).status_code == 404


def test_detail_shows_three_lists_moves_for_this_user_and_overdue(
    client, world, problem, monkeypatch
):
    monkeypatch.setattr("shuzhi.core.clock.today", lambda: datetime.date(2025, 6, 1))
    client.force_login(world.bob)
    page = client.get(_detail(problem)).text
    for heading in ("问题清单", "责任清单", "整改清单", "孙责任", "周领导", "巡察"):
        assert heading in page
    assert "开始整改" in page
    assert "列为持续整改" not in page  # a verifier's move
    assert 'data-testid="overdue"' not in page
    monkeypatch.setattr("shuzhi.core.clock.today", lambda: datetime.date(2025, 10, 1))
    assert 'data-testid="overdue"' in client.get(_detail(problem)).text
    client.force_login(world.dave)
    page = client.get(_detail(problem)).text
    assert "列为持续整改" in page and "开始整改" not in page


def test_detail_query_count_is_pinned(client, world, problem, django_assert_num_queries):
    attach_pdf(problem, world.bob)
    services.add_note(actor=world.bob, problem=problem, on=datetime.date(2025, 4, 1), text="进展")
    client.force_login(world.alice)
    # session, user, grants, problem (+unit, source, chain…), notes, evidence, history
    with django_assert_num_queries(7):
        assert client.get(_detail(problem)).status_code == 200


def test_moves_notes_and_evidence_through_the_page(client, world, problem, media):
    client.force_login(world.bob)
    url = reverse("problem_transition", args=[problem.pk])
    client.post(url, {"to_status": S.IN_PROGRESS})
    client.post(
        reverse("problem_note", args=[problem.pk]), {"on": "2025-04-01", "text": "已完成整改"}
    )
    response = client.post(
        reverse("problem_evidence", args=[problem.pk]),
        {"file": upload("整改报告.pdf", pdf_bytes()), "note": "报告"},
        follow=True,
    )
    assert "佐证材料已上传" in response.text
    refused = client.post(
        reverse("problem_evidence", args=[problem.pk]),
        {"file": upload("伪装.pdf", b"<html>")},
        follow=True,
    )
    assert "不符" in refused.text
    client.post(url, {"to_status": S.SUBMITTED})
    problem.refresh_from_db()
    assert problem.status == S.SUBMITTED
    # Bob cannot verify: the move is refused with 403.
    assert client.post(url, {"to_status": S.CLOSED, "verdict": "通过"}).status_code == 403
    client.force_login(world.dave)
    response = client.post(url, {"to_status": S.CLOSED, "verdict": ""}, follow=True)
    assert "销号须填写验收意见" in response.text
    client.post(url, {"to_status": S.CLOSED, "verdict": "整改到位"})
    problem.refresh_from_db()
    assert (problem.status, problem.verifier) == (S.CLOSED, world.dave)
    page = client.get(_detail(problem)).text
    assert "整改到位" in page and "已完成整改" in page
    assert "记录进展" not in page  # nothing more to do on a closed item
    evidence = problem.evidence.get()
    download = client.get(reverse("problem_evidence_download", args=[problem.pk, evidence.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    client.force_login(world.carol)
    assert (
        client.get(reverse("problem_evidence_download", args=[problem.pk, evidence.pk])).status_code
        == 404
    )
    assert client.post(url, {"to_status": S.IN_PROGRESS}).status_code == 404


def test_recording_a_problem(client, world, media):
    client.force_login(world.bob)
    assert client.get(reverse("problem_new")).status_code == 403
    client.force_login(world.dave)
    page = client.get(reverse("problem_new")).text
    assert "荔湾区委" in page and "越秀区委" not in page
    assert ">上年度遗留</option>" not in page  # set by the system only
    response = client.post(
        reverse("problem_new"),
        {
            "unit": world.county_a1.pk,
            "year": 2025,
            "source": "",
            "description": "",
            "severity": "general",
            "found_on": "2025-03-01",
            "responsibility_kind": "principal",
        },
    )
    assert response.status_code == 200
    assert "这个字段是必填项" in response.text or "必填" in response.text
    response = client.post(
        reverse("problem_new"),
        {
            "unit": world.county_a1.pk,
            "year": 2025,
            "source": ProblemSource.objects.get(code="xuncha").pk,
            "description": "会议记录不全",
            "severity": "major",
            "found_on": "2025-03-01",
            "responsibility_kind": "direct",
            "deadline": "2025-02-01",
        },
    )
    assert "完成时限不能早于发现日期" in response.text
    assert not Problem.objects.exists()


def test_editing_keeps_the_problem_itself_for_recorder(client, world, problem):
    client.force_login(world.bob)
    url = reverse("problem_edit", args=[problem.pk])
    page = client.get(url).text
    assert "问题本身只能由登记或验收方修改" in page
    data = {
        "description": "篡改",
        "source": problem.source_id,
        "severity": "general",
        "found_on": "2025-03-01",
        "responsible_person_name": "新责任人",
        "responsibility_kind": "principal",
        "measures": "新措施",
        "deadline": "2025-10-31",
    }
    assert client.post(url, data).status_code == 302
    problem.refresh_from_db()
    assert problem.measures == "新措施" and problem.description.startswith("基层党组织")
    client.force_login(world.carol)
    assert client.get(url).status_code == 404


def test_sources_page(client, world):
    client.force_login(world.bob)
    page = client.get(reverse("problem_sources")).text
    assert "巡视" in page and "添加来源" not in page
    assert client.post(reverse("problem_sources"), {"name": "审计"}).status_code == 403
    client.force_login(world.erin)
    assert client.get(reverse("problem_sources")).status_code == 403
    client.force_login(world.root)
    client.post(reverse("problem_sources"), {"name": "审计"})
    page = client.get(reverse("problem_sources") + "?q=审计").text
    assert "审计" in page and "巡视" not in page
    assert AuditEntry.objects.filter(action="problemsource.create").exists()


def test_sources_page_query_count(client, world, django_assert_num_queries):
    client.force_login(world.root)
    with django_assert_num_queries(4):  # session, user, count, page (a superuser: no grants)
        client.get(reverse("problem_sources"))


def test_carry_over_page(client, world, media):
    closed = record(world, description="已销号")
    attach_pdf(closed, world.dave)
    Problem.objects.filter(pk=closed.pk).update(status=S.SUBMITTED)
    services.transition(actor=world.alice, problem=closed, to_status=S.CLOSED, verdict="通过")
    open_item = record(world, description="未整改")
    url = reverse("problem_carry_over")
    for persona in (world.bob, world.dave, world.carol, world.erin):
        client.force_login(persona)
        assert client.get(url).status_code == 403
    client.force_login(world.alice)
    page = client.get(url, {"from_year": 2025, "root": world.province.pk}).text
    assert 'data-testid="pending">1<' in page
    client.post(url, {"from_year": 2025, "root": world.province.pk, "confirm": "1"})
    carried = Problem.objects.get(year=2026)
    assert carried.carried_from == open_item
    assert not Problem.objects.filter(carried_from=closed).exists()
    page = client.get(_detail(open_item)).text
    assert f'href="{_detail(carried)}"' in page
    page = client.get(url, {"from_year": 2025, "root": world.province.pk}).text
    assert 'data-testid="pending">0<' in page
