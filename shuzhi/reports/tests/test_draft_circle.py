"""Nothing of a draft leaves its writers' circle before submission: the round's report list
shows others 未提交 where a draft is (in its rows, filter and counts), and a draft plan reads
as none on the plan's page and API until it is submitted."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from shuzhi.accounts.models import Role
from shuzhi.core.testing import make_user
from shuzhi.rectification import services as rect
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.plans.policies import can_read_plan, plans_visible_to, readable_plan
from shuzhi.reports.reports import services
from shuzhi.reports.reports.models import Report, ReportStatus

pytestmark = pytest.mark.django_db


def _rows(html: str) -> str:
    """The table body of the round's list (the filter's options also name 草稿)."""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_the_round_list_shows_others_only_not_submitted(client, world, round_2026, reporter_a):
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    viewer = make_user("hostview", (Role.VIEWER, world.province))
    url = reverse("report_round", args=[round_2026.pk])
    for user in (world.alice, viewer):
        client.force_login(user)
        html = client.get(url).content.decode()
        rows = _rows(html)
        assert "草稿" not in rows and rows.count("未提交") == 2
        assert reverse("report_detail", args=[report.pk]) not in html
        assert "草稿 " not in html and "未提交 2 份" in html
        # Filtering by 草稿 finds nothing; by 未提交 finds the draft's reporter with the other.
        assert "广州市委" not in _rows(client.get(url, {"status": "draft"}).content.decode())
        rows = _rows(client.get(url, {"status": "none"}).content.decode())
        assert "广州市委" in rows and "深圳市委" in rows
    client.force_login(world.root)  # a global administrator is in every circle
    html = client.get(url).content.decode()
    assert "草稿 1 份" in html and "未提交 1 份" in html and "草稿" in _rows(html)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    client.force_login(world.alice)
    html = client.get(url).content.decode()
    assert "已提交 1 份" in html and "未提交 1 份" in html
    assert reverse("report_detail", args=[report.pk]) in html


@pytest.fixture
def draft_plan(world, reporter_a):
    problem = rect.create_problem(
        actor=world.root,
        unit=world.city_a,
        description="基层党组织书记培训覆盖不全",
        source="xunshi",
        found_on=datetime.date(2026, 3, 1),
        year=2026,
    )
    plan = plan_services.draft_plan(actor=world.bob, reporter=reporter_a, include=[problem.pk])
    plan = plan_services.update_plan(actor=world.bob, plan=plan, summary="草稿思路甲")
    return plan


def test_a_draft_plan_stays_with_the_units_writers(client, world, reporter_a, draft_plan):
    viewer = make_user("hostview", (Role.VIEWER, world.province))
    page = reverse("plan_detail", args=[reporter_a.pk])
    api = f"/api/reports/plans/{reporter_a.pk}"
    for user in (world.alice, viewer):
        assert not can_read_plan(user, draft_plan)
        assert readable_plan(user, reporter_a) is None
        assert draft_plan not in plans_visible_to(user)
        client.force_login(user)
        html = client.get(page).content.decode()
        assert "草稿思路甲" not in html and 'id="plan-status"' not in html
        assert 'id="plan-none"' in html
        assert client.get(api).status_code == 404
        # Acting on it tells nothing either: as if there were none.
        assert client.post(reverse("plan_approve", args=[reporter_a.pk])).status_code == 404
    client.force_login(world.bob)
    assert "草稿思路甲" in client.get(page).content.decode()
    assert client.get(api).json()["summary"] == "草稿思路甲"
    assert draft_plan in plans_visible_to(world.bob)
    RectificationPlan.objects.filter(pk=draft_plan.pk).update(status=PlanStatus.SUBMITTED)
    for user in (world.alice, viewer):
        client.force_login(user)
        assert "草稿思路甲" in client.get(page).content.decode()
        assert client.get(api).status_code == 200
        assert RectificationPlan.objects.get(pk=draft_plan.pk) in plans_visible_to(user)
