"""Submitting a report tells its reviewers — the reporter's own reviewers (grants nearest above
the reporter, on the round's host), not everyone whose scope reaches the report."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.core.models import Notification
from shuzhi.core.testing import make_user
from shuzhi.cycles import services as cs
from shuzhi.reports.reports import services
from shuzhi.reports.reports.policies import reviewers_of

from .conftest import answer_all, with_problems

pytestmark = pytest.mark.django_db

KIND = "report.submitted"


def _told(kind: str = KIND) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_a_submission_reaches_the_hosts_reviewers_only(world, reporter_a, last_year_problems):
    # Another organiser of the province is a reviewer too; an organiser of the other city and
    # the superuser (root) could read or review but are not 广州市委's reviewers.
    make_user("olga", (Role.ORGANISER, world.province), full_name="欧组织")
    make_user("otto", (Role.ORGANISER, world.city_b), full_name="欧城市")
    report = with_problems(services.ensure_report(actor=world.bob, reporter=reporter_a))
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    services.submit(actor=world.bob, report=report)
    assert _told() == {"alice", "olga"}
    notice = Notification.objects.get(kind=KIND, user=world.alice)
    assert "待审核" in notice.title and report.title in notice.title
    assert "广州市委" in notice.body
    assert notice.url == f"/reports/{report.pk}/"

    # Returned and resubmitted: the reviewers hear of the new version, once each.
    services.return_report(actor=world.alice, report=report, comment="请补充具体数据。")
    services.resubmit(actor=world.bob, report=report)
    titles = list(
        Notification.objects.filter(kind=KIND, user=world.alice).values_list("title", flat=True)
    )
    assert len(titles) == 2 and any("重新提交" in t for t in titles)


def test_a_city_round_tells_the_citys_secretary_not_the_province(world, last_year_problems):
    # 广州市委 hears its counties: its secretary (bob) reviews 荔湾区委; the province's organiser
    # (alice) could review it too, but is not told of every county's report.
    kim = make_user("kim", (Role.SECRETARY, world.county_a1), full_name="金书记")
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440103")
    reporter = round.reporters.get()
    assert reviewers_of(reporter) == [world.bob.pk]
    report = with_problems(services.ensure_report(actor=kim, reporter=reporter))
    services.submit(actor=kim, report=report)
    assert _told() == {"bob"}


def test_without_reviewers_on_the_host_the_nearest_level_above_is_told(world):
    # Nobody reviews at 深圳市委 (carol only views there): the province's organiser is told.
    round = cs.create_round(actor=world.alice, host=world.city_b, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440303")
    assert reviewers_of(round.reporters.get()) == [world.alice.pk]
