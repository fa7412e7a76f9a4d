"""The organiser signs in and the home page says what to do: the report waiting for review is
one click away, and the count on the navigation matches the queue."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from shuzhi.cycles import services as cs
from shuzhi.orgs.models import Person, Post, PostRole
from shuzhi.reports.reports import services as report_services
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=15_000)


def test_organiser_home_opens_the_report_to_review(page, world):
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

    page.set_default_timeout(30_000)  # the first page of a cold server can be slow
    login(page, "alice", "pw-alice")
    queue = page.get_by_test_id("queue-review")
    expect(queue).to_contain_text("等待我审核的述职报告")
    expect(page.get_by_test_id("work-count")).to_have_text("1")
    queue.get_by_role("link", name="广州市委").click()
    expect(page).to_have_url(f"{page.base_url}/reports/{report.pk}/")
    expect(page.get_by_role("button", name="审核通过")).to_be_visible()
