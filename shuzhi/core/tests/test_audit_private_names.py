"""Entries about accounts show the account's name only to readers who may see the account.

A grant given on a unit is recorded in that unit's scope, so the unit's organiser reads it; but
an account that also holds grants elsewhere is out of their sight (accounts policy), and its
name must not reach them through the audit trail — on the page, in the API or by searching.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.accounts import services as account_services
from shuzhi.accounts.models import Role
from shuzhi.core.selectors import MASKED_LABEL
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(world):
    """钱两地 works in both cities: a grant in city A given by the province's organiser."""
    olga = make_user("olga", (Role.ORGANISER, world.city_a), full_name="欧组织")
    both = make_user("qianliangdi", (Role.VIEWER, world.city_b), full_name="钱两地")
    account_services.add_grant(actor=world.alice, user=both, role=Role.VIEWER, unit=world.city_a)
    mine = make_user("sunbendi", (Role.VIEWER, world.county_a1), full_name="孙本地")
    account_services.add_grant(actor=world.alice, user=mine, role=Role.VIEWER, unit=world.city_a)
    return olga, both, mine


def test_the_page_masks_an_account_out_of_sight(client, world, granted):
    olga, _both, _mine = granted
    client.force_login(olga)
    page = client.get(reverse("audit_search"), {"action": "grant."}).content.decode()
    assert "钱两地" not in page and "qianliangdi" not in page
    assert MASKED_LABEL in page
    assert "sunbendi" in page  # an account in sight keeps its name
    # Guessing the name finds nothing.
    page = client.get(reverse("audit_search"), {"object_text": "qianliangdi"}).content.decode()
    assert MASKED_LABEL not in page
    client.force_login(world.alice)
    assert (
        "qianliangdi" in client.get(reverse("audit_search"), {"action": "grant."}).content.decode()
    )


def test_the_api_masks_an_account_out_of_sight(client, world, granted):
    olga, both, mine = granted
    client.force_login(olga)
    items = client.get("/api/audit/", {"action": "grant."}).json()["items"]
    labels = {item["object_id"]: item["object_label"] for item in items}
    assert labels[str(both.pk)] == MASKED_LABEL
    assert labels[str(mine.pk)] == str(mine)
    assert "qianliangdi" not in str(items)
    assert client.get("/api/audit/", {"object_text": "qianliangdi"}).json()["count"] == 0
    client.force_login(world.alice)
    items = client.get("/api/audit/", {"action": "grant."}).json()["items"]
    assert {item["object_label"] for item in items} >= {str(both), str(mine)}
