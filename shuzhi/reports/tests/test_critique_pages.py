"""Critique and plan pages: the host's list of reporters, the critique form with its problem
rows and flag panel, the detail linking to the ledger, and the plan pages — with 404 outside
scope, 403 in sight without the right, and pinned query counts on the list pages."""

from __future__ import annotations

import pytest

from shuzhi.rectification.models import Problem, ProblemStatus
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan

from .test_critique_world import *  # noqa: F403 - the fixtures
from .test_critique_world import CONCRETE, PRAISE_ONLY, PROBLEMS

pytestmark = pytest.mark.django_db


def _form_data(text=CONCRETE, rows=(), initial=0, **extra):
    data = {
        "role": "host_secretary",
        "portfolio": "",
        "text": text,
        "rating": "",
        "problems-TOTAL_FORMS": str(len(rows)),
        "problems-INITIAL_FORMS": str(initial),
        "problems-MIN_NUM_FORMS": "0",
        "problems-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"problems-{index}-{key}"] = value
        data.setdefault(f"problems-{index}-severity", "general")
    data.update(extra)
    return data


@pytest.mark.smoke
def test_the_host_writes_a_critique_through_the_form(client, world, reporter, today):
    client.force_login(world.bob)
    url = f"/reports/critiques/reporter/{reporter.pk}/new/"
    page = client.get(url)
    assert page.status_code == 200
    assert "critique-problems.js" in page.text and "添加问题" in page.text
    rows = [
        {"description": PROBLEMS[0]["description"], "severity": "major", "deadline": "2027-03-31"},
        {"description": PROBLEMS[1]["description"]},
        {"description": ""},  # an empty row the user added and left
    ]
    response = client.post(url, _form_data(rows=rows))
    critique = Critique.objects.get()
    assert response.status_code == 302 and response.url == f"/reports/critiques/{critique.pk}/"
    # A draft: its problems are listed on the page as waiting, not in the ledger yet.
    assert not critique.problems.exists()
    detail = client.get(response.url, follow=True)
    assert "发布后点评内容才向述职单位公开" in detail.text
    assert detail.text.count("data-draft-problem") == 2 and "待发布" in detail.text
    assert "点评点出了具体问题" in detail.text
    assert client.post(f"/reports/critiques/{critique.pk}/publish/").status_code == 302
    problems = list(critique.problems.order_by("serial"))
    assert len(problems) == 2 and problems[0].severity == "major"
    detail = client.get(response.url)
    assert detail.status_code == 200
    for problem in problems:
        assert f'href="/problems/{problem.pk}/"' in detail.text
    assert "data-draft-problem" not in detail.text
    assert "上级点评" in detail.text and "点评点出了具体问题" in detail.text


def test_a_praise_only_critique_is_saved_and_flagged(client, world, reporter, today):
    client.force_login(world.bob)
    response = client.post(
        f"/reports/critiques/reporter/{reporter.pk}/new/", _form_data(text=PRAISE_ONLY)
    )
    assert response.status_code == 302
    detail = client.get(response.url)
    assert "点评可能没有点准问题" in detail.text
    assert "点评没有逐条点出具体问题" in detail.text
    assert "没有点出这个单位的任何具体问题" in detail.text


def test_the_flag_panel_follows_the_text_being_typed(client, world, reporter):
    client.force_login(world.bob)
    praise = client.post(
        "/reports/critiques/check/", {"reporter": reporter.pk, "text": PRAISE_ONLY}
    )
    assert praise.status_code == 200 and 'data-ok="0"' in praise.text
    concrete = client.post(
        "/reports/critiques/check/",
        _form_data(rows=[{"description": "整顿滞后"}], reporter=reporter.pk),
    )
    assert 'data-ok="0"' not in concrete.text
    client.force_login(world.erin)
    assert client.post("/reports/critiques/check/", {"reporter": reporter.pk}).status_code == 404


def test_bad_input_comes_back_on_the_form(client, world, reporter, today):
    client.force_login(world.bob)
    response = client.post(
        f"/reports/critiques/reporter/{reporter.pk}/new/",
        _form_data(rows=[{"description": "甲", "severity": "general", "deadline": "2027-13-40"}]),
    )
    assert response.status_code == 200
    assert "输入一个有效的日期" in response.text or "有效" in response.text
    response = client.post(
        f"/reports/critiques/reporter/{reporter.pk}/new/",
        _form_data(role="team_member", rows=[{"description": "甲"}]),
    )
    assert response.status_code == 200 and "班子成员点评请填写分管领域。" in response.text
    assert not Critique.objects.exists()


def test_editing_removes_a_row_marked_deleted_and_publishing(client, world, reporter, today):
    critique = critique_services.save_critique(
        actor=world.bob, reporter=reporter, text=CONCRETE, role="host_secretary", problems=PROBLEMS
    )
    first, second = PROBLEMS[0], PROBLEMS[1]
    client.force_login(world.bob)
    page = client.get(f"/reports/critiques/{critique.pk}/edit/")
    assert page.status_code == 200 and first["description"] in page.text
    rows = [
        {"description": first["description"], "severity": "major"},
        {"description": second["description"], "DELETE": "on"},
    ]
    response = client.post(
        f"/reports/critiques/{critique.pk}/edit/", _form_data(rows=rows, initial=2)
    )
    assert response.status_code == 302
    assert not critique.problems.exists()
    assert client.post(f"/reports/critiques/{critique.pk}/publish/").status_code == 302
    critique.refresh_from_db()
    assert critique.published
    assert list(critique.problems.values_list("description", flat=True)) == [first["description"]]


def test_who_sees_what(client, world, reporter, sam, today):
    critique = critique_services.save_critique(
        actor=world.bob, reporter=reporter, text=CONCRETE, role="host_secretary", problems=PROBLEMS
    )
    round_url = f"/reports/critiques/round/{reporter.round_id}/"
    new_url = f"/reports/critiques/reporter/{reporter.pk}/new/"
    detail = f"/reports/critiques/{critique.pk}/"
    client.force_login(sam)
    assert client.get(new_url).status_code == 403  # in sight, not allowed
    assert client.get(detail).status_code == 404  # a draft is the host's
    assert client.post(f"/reports/critiques/{critique.pk}/publish/").status_code == 404
    critique_services.publish_critique(actor=world.bob, critique=critique)
    assert client.get(detail).status_code == 200
    assert client.get(f"/reports/critiques/{critique.pk}/edit/").status_code == 403
    assert client.post(f"/reports/critiques/{critique.pk}/publish/").status_code == 403
    for user in (world.carol, world.erin):
        client.force_login(user)
        assert client.get(round_url).status_code == 404
        assert client.get(new_url).status_code == 404
        assert client.get(detail).status_code == 404
    client.logout()
    assert client.get(round_url).status_code == 302


def test_round_list_searches_pages_and_pins_queries(
    client, world, reporter, today, django_assert_num_queries
):
    for _ in range(2):
        saved = critique_services.save_critique(
            actor=world.bob,
            reporter=reporter,
            text=CONCRETE,
            role="host_secretary",
            problems=PROBLEMS,
        )
        critique_services.publish_critique(actor=world.bob, critique=saved)
    client.force_login(world.bob)
    url = f"/reports/critiques/round/{reporter.round_id}/"
    client.get(url)  # warm the session
    # session, user, grants, round, count, reporters page, critiques of the page
    with django_assert_num_queries(7):
        page = client.get(url)
    assert page.status_code == 200
    assert "荔湾区委" in page.text and "越秀区委" in page.text
    assert page.text.count("问题 2 个") == 2
    found = client.get(url, {"q": "越秀"})
    assert "越秀区委" in found.text and "荔湾区委" not in found.text


def _items_data(plan, **values):
    data = {
        "items-TOTAL_FORMS": str(len(plan.items)),
        "items-INITIAL_FORMS": str(len(plan.items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "summary": "逐项整改",
    }
    for index, item in enumerate(plan.items):
        data[f"items-{index}-problem"] = item["problem"]
        for key, value in values.items():
            data[f"items-{index}-{key}"] = value
    return data


@pytest.mark.smoke
def test_the_plan_through_the_pages(client, world, reporter, sam, today, django_assert_num_queries):
    critique = critique_services.save_critique(
        actor=world.bob, reporter=reporter, text=CONCRETE, role="host_secretary", problems=PROBLEMS
    )
    critique = critique_services.publish_critique(actor=world.bob, critique=critique)
    url = f"/reports/plans/{reporter.pk}/"
    client.force_login(sam)
    page = client.get(url)
    assert page.status_code == 200 and "编制整改方案" in page.text
    assert client.post(url + "create/").status_code == 302
    plan = RectificationPlan.objects.get()
    assert len(plan.items) == 2
    response = client.post(
        url + "edit/",
        _items_data(
            plan,
            measures="建立整顿台账，逐村销号",
            deadline="2027-06-30",
            responsible_person_name="钱部长",
        ),
    )
    assert response.status_code == 302
    client.get(url)
    # session, user, reporter, grants, the plan (its reporter already loaded), the problems it
    # lists, the named and the other open problems of the unit, and the checks before
    # submission — not one per item
    with django_assert_num_queries(9):
        page = client.get(url)
    assert "建立整顿台账" in page.text and "报送审批" in page.text
    assert client.post(url + "submit/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    assert client.post(url + "approve/").status_code == 403
    client.force_login(world.bob)
    page = client.get(url)
    assert "批准整改方案" in page.text
    client.post(url + "return/", {"comment": "请细化措施"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED
    client.force_login(sam)
    assert "请细化措施" in client.get(url).text
    client.post(url + "submit/")
    client.force_login(world.bob)
    client.post(url + "approve/")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert set(critique.problems.values_list("status", flat=True)) == {ProblemStatus.IN_PROGRESS}
    assert set(Problem.objects.values_list("responsible_person_name", flat=True)) == {"钱部长"}


def test_plan_pages_refuse_and_report_errors(client, world, reporter, sam, today):
    saved = critique_services.save_critique(
        actor=world.bob, reporter=reporter, text=CONCRETE, role="host_secretary", problems=PROBLEMS
    )
    critique_services.publish_critique(actor=world.bob, critique=saved)
    url = f"/reports/plans/{reporter.pk}/"
    client.force_login(world.bob)
    assert client.post(url + "create/").status_code == 403
    client.force_login(sam)
    client.post(url + "create/")
    response = client.post(url + "submit/", follow=True)
    assert "请填写整改措施" in response.text
    plan = plan_services.named_problems(reporter)
    assert plan.count() == 2
    for user in (world.carol, world.erin):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url + "approve/").status_code == 404


def test_a_leader_is_offered_the_team_member_role(client, world, reporter, lena):
    client.force_login(lena)
    page = client.get(f"/reports/critiques/reporter/{reporter.pk}/new/")
    assert '<option value="team_member" selected>' in page.text
    client.force_login(world.bob)
    page = client.get(f"/reports/critiques/reporter/{reporter.pk}/new/")
    assert '<option value="host_secretary" selected>' in page.text


def test_the_list_marks_a_critique_naming_no_problem(client, world, reporter, today):
    critique_services.save_critique(
        actor=world.bob, reporter=reporter, text=PRAISE_ONLY, role="host_secretary", problems=[]
    )
    client.force_login(world.bob)
    page = client.get(f"/reports/critiques/round/{reporter.round_id}/")
    assert "未点出问题" in page.text
