"""Forms never lose input: each form below is posted with one invalid value, and the page
that comes back must show the error and still hold every other value the user typed — not a
redirect to an empty form with a message above it."""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from shuzhi.accounts.models import Role
from shuzhi.assessment.grading import services as gs
from shuzhi.assessment.indicators import services as ind
from shuzhi.assessment.indicators.models import Adjustment
from shuzhi.assessment.tests.conftest import PROVINCE_ITEMS
from shuzhi.assessment.tests.grading_setup import FORMULA, THRESHOLDS, finished_session
from shuzhi.ballots.tests.meeting_setup import make_meeting
from shuzhi.core.testing import make_user, unit_type
from shuzhi.cycles import services as cs
from shuzhi.meetings.models import RosterCategory, SessionReporter
from shuzhi.orgs.models import Person, Post, PostRole
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import Problem, ProblemStatus, ProgressNote
from shuzhi.rectification.tests.problem_fixtures import record
from shuzhi.reports.models import Report
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.models import RectificationPlan
from shuzhi.reports.reports import services as report_services

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    """One form: who posts it, where, what (one value invalid), the error expected and the
    typed values that must come back."""

    user: object
    url: str
    data: dict
    error: str
    kept: list[str]
    unchanged: Callable[[], bool]


def _grading_decide(world) -> Case:
    session = finished_session(world)
    grading = gs.save_grading(
        actor=world.alice, round=session.annual, formula=FORMULA, thresholds=THRESHOLDS
    )
    gs.compute_suggestions(actor=world.alice, grading=grading)
    row = grading.rows.get(reporter__unit__name="深圳市委", is_current=True)
    return Case(
        user=world.alice,
        url=f"/assessment/grading/row/{row.pk}/decide/",
        # 较好 differs from the suggested 好 and has no reason: refused.
        data={"final": "fair_good", "reason": "", "opinion": "群众评价较高但材料不实"},
        error="评定等次与建议等次不同，必须说明理由。",
        kept=['<option value="fair_good" selected>', "群众评价较高但材料不实"],
        unchanged=lambda: grading.rows.get(pk=row.pk).final == "good",
    )


def _submitted_problem(world) -> Problem:
    problem = record(world)
    Problem.objects.filter(pk=problem.pk).update(status=ProblemStatus.SUBMITTED)
    return problem


def _problem_verify(world) -> Case:
    problem = _submitted_problem(world)
    return Case(
        user=world.dave,
        url=reverse("problem_transition", args=[problem.pk]),
        # No evidence yet: closing is refused, the verdict typed must come back.
        data={"to_status": ProblemStatus.CLOSED, "verdict": "整改到位，群众满意"},
        error="销号前须至少上传一份整改佐证材料。",
        kept=["整改到位，群众满意"],
        unchanged=lambda: Problem.objects.get(pk=problem.pk).status == ProblemStatus.SUBMITTED,
    )


def _problem_note(world) -> Case:
    problem = record(world)
    return Case(
        user=world.bob,
        url=reverse("problem_note", args=[problem.pk]),
        data={"on": "2025-13-45", "text": "已召开专题会议研究整改"},
        error="输入一个有效的日期。",
        kept=["已召开专题会议研究整改", "2025-13-45"],
        unchanged=lambda: not ProgressNote.objects.filter(problem=problem).exists(),
    )


def _report_review(world) -> Case:
    person = Person.objects.create(name="甲书记", unit=world.city_a)
    Post.objects.create(
        person=person,
        unit=world.city_a,
        role=PostRole.SECRETARY,
        start_date=datetime.date(2020, 1, 1),
    )
    rnd = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=rnd, codes="440100")
    report = report_services.ensure_report(actor=world.bob, reporter=rnd.reporters.get())
    report_services.save_draft(
        actor=world.bob,
        report=report,
        sections={"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"},
    )
    report_services.submit(actor=world.bob, report=report)
    return Case(
        user=world.alice,
        url=reverse("report_review", args=[report.pk]),
        data={"status": "bogus", "comment": "请补充基层党组织覆盖率数据"},
        error="请选择审核结果。",
        kept=["请补充基层党组织覆盖率数据"],
        unchanged=lambda: Report.objects.get(pk=report.pk).status == "submitted",
    )


def _adjustment_decide(world) -> Case:
    indicator_set = ind.create_set(
        actor=world.alice, host=world.province, year=2026, assessed_type=unit_type("county")
    )
    for code, name, points, kind in PROVINCE_ITEMS:
        ind.add_item(
            actor=world.alice,
            indicator_set=indicator_set,
            code=code,
            name=name,
            max_points=points,
            kind=kind,
        )
    indicator_set = ind.publish_set(actor=world.alice, indicator_set=indicator_set)
    adjustment = ind.request_adjustment(
        actor=world.alice,
        indicator_set=indicator_set,
        unit=world.county_a1,
        kind="deduction",
        points="2",
        reason="发生违反中央八项规定精神问题",
    )
    return Case(
        user=make_user("ivy", (Role.ORGANISER, world.province)),
        url=reverse("assessment_adjustment_decide", args=[indicator_set.pk, adjustment.pk]),
        data={"decision": "maybe", "note": "经核实情况属实，同意扣分"},
        error="请选择批准或不予批准。",
        kept=["经核实情况属实，同意扣分"],
        unchanged=lambda: Adjustment.objects.get(pk=adjustment.pk).status == "pending",
    )


def _meeting_draw(world) -> Case:
    meeting = make_meeting(world)
    return Case(
        user=world.alice,
        url=reverse("session_draw", args=[meeting.session.pk]),
        data={"method": "random", "live_count": "7"},
        error="现场述职人数不能超过议程中的述职人数（3 人）。",
        kept=['value="7"', '<option value="random" selected>'],
        unchanged=lambda: (
            not SessionReporter.objects.filter(session=meeting.session, mode="live").exists()
        ),
    )


def _meeting_counts(world) -> Case:
    meeting = make_meeting(world)
    category = meeting.categories[0]
    return Case(
        user=world.alice,
        url=reverse("session_category_counts", args=[meeting.session.pk, category.pk]),
        data={"expected": "12", "present": "-3"},
        error="实到：",
        kept=['value="12"', 'value="-3"'],
        unchanged=lambda: RosterCategory.objects.get(pk=category.pk).expected == 6,
    )


def _post_end(world) -> Case:
    person = Person.objects.create(name="甲书记", unit=world.city_a)
    post = Post.objects.create(
        person=person,
        unit=world.city_a,
        role=PostRole.SECRETARY,
        start_date=datetime.date(2020, 1, 1),
    )
    return Case(
        user=world.alice,
        url=reverse("post_end", args=[post.pk]),
        data={"end_date": "2019-06-30"},
        error="离任日期（2019-06-30）不能早于任职日期（2020-01-01）。",
        kept=['value="2019-06-30"'],
        unchanged=lambda: Post.objects.get(pk=post.pk).end_date is None,
    )


def _plan_return(world) -> Case:
    rnd = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=rnd, codes="440100")
    reporter = rnd.reporters.get()
    problem = problem_services.create_problem(
        actor=world.root,
        unit=world.city_a,
        description="基层党组织书记培训覆盖不全",
        source="xunshi",
        found_on=datetime.date(2026, 3, 1),
        year=2026,
    )
    plan = plan_services.draft_plan(actor=world.root, reporter=reporter, include=[problem.pk])
    item = {
        **plan.items[0],
        "measures": "分批轮训，年底前全覆盖",
        "deadline": "2027-06-30",
        "responsible_person_name": "张三",
    }
    plan = plan_services.update_plan(actor=world.root, plan=plan, items=[item])
    plan = plan_services.submit_plan(actor=world.root, plan=plan)
    comment = "请细化每项措施的完成时限。" + "补充说明" * 500  # over the 2,000 allowed
    return Case(
        user=world.alice,
        url=reverse("plan_return", args=[reporter.pk]),
        data={"comment": comment},
        error="2000",
        kept=[comment],
        unchanged=lambda: RectificationPlan.objects.get(pk=plan.pk).status == "submitted",
    )


CASES = {
    "grading-decide": _grading_decide,
    "problem-verify": _problem_verify,
    "problem-note": _problem_note,
    "report-review": _report_review,
    "adjustment-decide": _adjustment_decide,
    "meeting-draw": _meeting_draw,
    "meeting-counts": _meeting_counts,
    "post-end": _post_end,
    "plan-return": _plan_return,
}


@pytest.mark.parametrize("name", list(CASES))
def test_refused_form_keeps_what_was_typed(client, world, settings, tmp_path, name):
    settings.MEDIA_ROOT = tmp_path
    case = CASES[name](world)
    client.force_login(case.user)
    response = client.post(case.url, case.data)
    assert response.status_code == 200, "a refused form is shown again, not redirected"
    page = html.unescape(response.content.decode())
    assert case.error in page
    for value in case.kept:
        assert value in page, f"{name}: {value!r} was lost"
    assert case.unchanged()
