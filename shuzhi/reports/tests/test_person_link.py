"""An organiser cannot write another city's report through an account linked to a person whose
post lies outside the organiser's scope: linking needs scope over every current post, and the
link writes a report only while the person holds a post in the reporting unit that year."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from shuzhi.accounts import services as account_services
from shuzhi.accounts.models import Role
from shuzhi.core.testing import make_user
from shuzhi.orgs.models import Post
from shuzhi.reports.reports import policies

pytestmark = pytest.mark.django_db
PASSWORD = "Lizhi-2026-secure!"


@pytest.fixture
def olga(world):
    """Organiser of city A only."""
    return make_user("olga", (Role.ORGANISER, world.city_a), full_name="周组织")


@pytest.fixture
def city_b_secretary_registered_in_a(world, reporter_b):
    """深圳's secretary, registered (by a data-entry slip) in city A, where olga governs."""
    person = reporter_b.person
    person.unit = world.city_a
    person.save()
    return person


def test_linking_a_person_whose_post_is_out_of_scope_is_refused(
    world, olga, city_b_secretary_registered_in_a
):
    person = city_b_secretary_registered_in_a
    with pytest.raises(ValidationError) as exc:
        account_services.create_user(
            actor=olga,
            username="fake",
            full_name="冒名",
            password=PASSWORD,
            person=person,
            grants=[(Role.VIEWER, world.city_a)],
        )
    assert "深圳市委" in str(exc.value) and "超出您的管理范围" in str(exc.value)
    account = account_services.create_user(
        actor=olga,
        username="fake",
        full_name="冒名",
        password=PASSWORD,
        grants=[(Role.VIEWER, world.city_a)],
    )
    with pytest.raises(ValidationError):
        account_services.update_user(actor=olga, user=account, person=person)
    account.refresh_from_db()
    assert account.person_id is None
    # The province's organiser, whose scope covers both posts, may link.
    account_services.update_user(actor=world.alice, user=account, person=person)


def test_the_exploit_through_the_user_page_links_nothing(
    world, olga, city_b_secretary_registered_in_a, reporter_b
):
    person = city_b_secretary_registered_in_a
    person.staff_number = "B0001"
    person.save()
    client = Client()
    client.force_login(olga)
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "fake",
            "full_name": "冒名",
            "email": "",
            "staff_number": "B0001",
            "unit_code": world.city_a.code,
            "role": Role.VIEWER,
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "超出您的管理范围" in response.content.decode()
    assert not get_user_model().objects.filter(username="fake").exists()
    assert not any(
        policies.can_write_report(u, reporter_b)
        for u in get_user_model().objects.filter(grants__unit=world.city_a)
    )


def test_a_link_writes_only_while_the_person_holds_a_post_in_the_reporting_unit(world, reporter_b):
    person = reporter_b.person
    account = make_user("bing", person=person, full_name="丙书记")
    assert policies.can_write_report(account, reporter_b)
    assert policies.writable_reporters(account).filter(pk=reporter_b.pk).exists()
    assert account.pk in policies.users_who_can_write(reporter_b)
    # The post ended before the round's year: the link no longer writes that report.
    Post.objects.filter(person=person).update(end_date=datetime.date(2025, 6, 30))
    assert not policies.can_write_report(account, reporter_b)
    assert not policies.writable_reporters(account).filter(pk=reporter_b.pk).exists()
    assert account.pk not in policies.users_who_can_write(reporter_b)
    # A post in another unit does not count either.
    Post.objects.filter(person=person).update(end_date=None, unit=world.city_a)
    assert not policies.can_write_report(account, reporter_b)
