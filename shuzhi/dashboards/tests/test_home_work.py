"""The home page is each person's queue of work: a secretary sees their report with the
reviewer's comment and the problems given to their unit, the organiser the reports to review
and the items to verify, the inspector the items to verify — each a link to the page where it
is done — and nobody sees what is outside their grants. The permission list is on the profile
page. Query counts are pinned per persona."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from shuzhi.cycles import services as cs
from shuzhi.orgs.models import Person, Post, PostRole
from shuzhi.rectification import services as rs
from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.reports.reports import services as report_services
from shuzhi.reports.reports.models import Report, ReportStatus

pytestmark = pytest.mark.django_db


def _problem(world, unit, description: str) -> Problem:
    return rs.create_problem(
        actor=world.alice,
        unit=unit,
        description=description,
        source="xuncha",
        found_on=datetime.date(2025, 3, 1),
        year=2025,
        responsible_person_name="孙责任",
        measures="逐一核查，补齐台账。",
        deadline=datetime.date(2099, 9, 30),
    )


@pytest.fixture
def work(world):
    """City A's report returned with a comment, city B's waiting for review; a problem of city
    A being worked on and one of county A1 waiting for verification."""
    for unit, name in [(world.city_a, "甲书记"), (world.city_b, "丙书记")]:
        person = Person.objects.create(name=name, unit=unit)
        Post.objects.create(
            person=person, unit=unit, role=PostRole.SECRETARY, start_date=datetime.date(2020, 1, 1)
        )
    rnd = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=rnd, codes="440100 440300")
    mine = report_services.ensure_report(
        actor=world.bob, reporter=rnd.reporters.get(unit=world.city_a)
    )
    report_services.save_draft(
        actor=world.bob,
        report=mine,
        sections={"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"},
    )
    report_services.submit(actor=world.bob, report=mine)
    report_services.transition(
        actor=world.alice, report=mine, to_status="returned", comment="请补充党员发展数据"
    )
    other = report_services.ensure_report(
        actor=world.root, reporter=rnd.reporters.get(unit=world.city_b)
    )
    report_services.save_draft(
        actor=world.root,
        report=other,
        sections={"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"},
    )
    report_services.submit(actor=world.root, report=other)
    own_problem = _problem(world, world.city_a, "市委理论学习中心组学习不深入")
    county = _problem(world, world.county_a1, "区委议事规则执行不严格")
    Problem.objects.filter(pk=county.pk).update(status=ProblemStatus.SUBMITTED)
    return {"mine": mine, "other": other, "own_problem": own_problem, "county": county}


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_secretary_home_is_their_report_and_their_problems(client, world, work):
    page = _home(client, world.bob)
    assert 'data-testid="queue-my_report"' in page
    assert reverse("report_detail", args=[work["mine"].pk]) in page
    assert "请补充党员发展数据" in page  # the reviewer's comment, on the home page
    assert reverse("problem_detail", args=[work["own_problem"].pk]) in page
    assert "市委理论学习中心组学习不深入" in page
    # Not the organiser's queues, and not city B's report.
    assert 'data-testid="queue-review"' not in page
    assert reverse("report_detail", args=[work["other"].pk]) not in page
    assert "您在以下范围内的权限" not in page  # the permission list moved to the profile


def test_organiser_home_is_reports_to_review_and_items_to_verify(client, world, work):
    page = _home(client, world.alice)
    assert 'data-testid="queue-review"' in page
    assert reverse("report_detail", args=[work["other"].pk]) in page
    assert 'data-testid="queue-verify"' in page
    assert reverse("problem_detail", args=[work["county"].pk]) in page
    assert 'data-testid="queue-my_report"' not in page


def test_inspector_home_is_items_to_verify_and_my_work_is_not_their_report(client, world, work):
    page = _home(client, world.dave)
    assert 'data-testid="queue-verify"' in page
    assert reverse("problem_detail", args=[work["county"].pk]) in page
    assert reverse("problem_detail", args=[work["own_problem"].pk]) not in page
    assert 'data-testid="queue-review"' not in page
    # On 我的工作 the county's report is the county's, not "my report".
    round_a1 = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    Person.objects.create(name="乙书记", unit=world.county_a1)
    cs.add_reporters_by_codes(actor=world.alice, round=round_a1, codes="440103")
    draft = report_services.ensure_report(
        actor=world.root, reporter=round_a1.reporters.get(unit=world.county_a1)
    )
    mine_page = client.get(reverse("ledger_mine"), {"year": 2026}).content.decode()
    assert "荔湾区委的述职报告" in mine_page
    assert "我的述职报告" not in mine_page
    # A draft stays with its writers: no link the inspector could only follow to a 404.
    assert reverse("report_detail", args=[draft.pk]) not in mine_page
    # Set up as submitted (its carried items are not the point here).
    Report.objects.filter(pk=draft.pk).update(status=ReportStatus.SUBMITTED)
    mine_page = client.get(reverse("ledger_mine"), {"year": 2026}).content.decode()
    assert reverse("report_detail", args=[draft.pk]) in mine_page


def test_nobody_else_sees_the_work(client, world, work):
    for persona in (world.carol, world.erin):
        page = _home(client, persona)
        assert 'data-testid="work"' not in page
        assert reverse("report_detail", args=[work["other"].pk]) not in page


def test_profile_lists_the_grants(client, world):
    client.force_login(world.bob)
    page = client.get(reverse("profile")).content.decode()
    assert "广州市委" in page and "撰写本组织的述职报告" in page


def test_nav_count_is_the_number_of_items(client, world, work):
    client.force_login(world.alice)
    assert client.get(reverse("work_count")).content.decode().strip() == "2"


@pytest.mark.parametrize("persona, queries", [("alice", 16), ("bob", 16), ("dave", 12)])
def test_home_query_count_is_pinned(
    client, world, work, persona, queries, django_assert_max_num_queries
):
    client.force_login(getattr(world, persona))
    with django_assert_max_num_queries(queries):
        assert client.get("/").status_code == 200
