"""Who may write, review and see a report: the permission matrix of the province round."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from shuzhi.accounts.models import Grant, Role
from shuzhi.core.testing import make_user
from shuzhi.reports.reports import policies, services
from shuzhi.reports.reports.models import Report, ReportStatus


@pytest.fixture
def reports(world, reporter_a, reporter_b):
    a = services.ensure_report(actor=world.bob, reporter=reporter_a)
    b = services.ensure_report(actor=world.root, reporter=reporter_b)
    return a, b


def _submit(*reports):
    """Mark reports submitted (the move itself is tested with the services)."""
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(status=ReportStatus.SUBMITTED)
    for report in reports:
        report.refresh_from_db()


# (persona, writes A, reviews A, sees A, sees B) once both are submitted; while they are drafts
# only their writers see them (DRAFT_SEERS).
MATRIX = [
    ("bob", True, False, True, False),  # secretary of city A: writes his own, not reviewer
    ("alice", False, True, True, True),  # organiser of the province (the host): reviews
    ("carol", False, False, False, True),  # viewer of city B: sees only city B's report
    ("dave", False, False, False, False),  # inspector of a county under city A
    ("erin", False, False, False, False),  # no grants
    ("root", True, True, True, True),  # superuser
]
# (sees draft A, sees draft B): nothing of a draft leaves its writers before submission.
DRAFT_SEERS = {"bob": (True, False), "root": (True, True)}


@pytest.mark.parametrize("name, writes, reviews, sees_a, sees_b", MATRIX)
def test_permission_matrix(world, reports, name, writes, reviews, sees_a, sees_b):
    user = getattr(world, name)
    a, b = reports
    draft_a, draft_b = DRAFT_SEERS.get(name, (False, False))
    assert policies.can_view_report(user, a) is draft_a
    visible = set(policies.reports_visible_to(user))
    assert (a in visible, b in visible) == (draft_a, draft_b)
    _submit(a, b)
    assert policies.can_write_report(user, a) is writes
    assert policies.can_write_report(user, a.reporter) is writes
    assert policies.can_review_report(user, a) is reviews
    assert policies.can_view_report(user, a) is sees_a
    visible = set(policies.reports_visible_to(user))
    assert (a in visible, b in visible) == (sees_a, sees_b)


def test_a_draft_stays_with_its_writers_on_pages_and_api(client, world, reports):
    """The host's organiser and a viewer of the host open nothing of a draft: not its page,
    its Word file, its API record or a row in a list; after submission they do."""
    a, _b = reports
    services.save_draft(actor=world.bob, report=a, title="草稿标题甲")
    viewer = make_user("hostview", (Role.VIEWER, world.province))
    for user in (world.alice, viewer):
        client.force_login(user)
        assert client.get(f"/reports/{a.pk}/").status_code == 404
        assert client.get(f"/reports/{a.pk}/word/").status_code == 404
        assert client.get(f"/api/reports/{a.pk}").status_code == 404
        assert "草稿标题甲" not in client.get("/reports/").content.decode()
        assert a.pk not in {r["id"] for r in client.get("/api/reports/").json()["items"]}
    client.force_login(world.bob)
    assert client.get(f"/reports/{a.pk}/").status_code == 200
    _submit(a)
    for user in (world.alice, viewer):
        client.force_login(user)
        assert client.get(f"/reports/{a.pk}/").status_code == 200
        assert client.get(f"/api/reports/{a.pk}").status_code == 200


def test_anonymous_sees_and_does_nothing(reports):
    a, _ = reports
    anon = AnonymousUser()
    assert not policies.can_write_report(anon, a)
    assert not policies.can_review_report(anon, a)
    assert not policies.reports_visible_to(anon).exists()


def test_a_secretary_of_the_parent_does_not_write_the_childs_report(world, reports):
    """A province secretary's grant reaches the cities, but a report is written by its own
    unit: she reviews it instead."""
    a, _ = reports
    sec = make_user("psec", (Role.SECRETARY, world.province))
    assert not policies.can_write_report(sec, a)
    assert policies.can_review_report(sec, a)


def test_the_reporting_person_writes_through_the_linked_account(world, reports):
    a, b = reports
    user = make_user("jia")
    user.person = a.reporter.person
    user.save()
    assert policies.can_write_report(user, a)
    assert not policies.can_write_report(user, b)
    assert list(policies.reports_visible_to(user)) == [a]


def test_users_who_can_review(world, reports):
    a, _ = reports
    names = set(policies.users_who_can_review(a).values_list("username", flat=True))
    assert names == {"alice", "root"}
    Grant.objects.create(user=world.erin, unit=world.province, role=Role.SECRETARY)
    names = set(policies.users_who_can_review(a).values_list("username", flat=True))
    assert names == {"alice", "root", "erin"}


def test_visible_reports_without_duplicates(world, reports):
    """A user seeing a report both through its unit and through the host gets it once."""
    Grant.objects.create(user=world.carol, unit=world.province, role=Role.VIEWER)
    _submit(*reports)
    assert policies.reports_visible_to(world.carol).count() == Report.objects.count() == 2
