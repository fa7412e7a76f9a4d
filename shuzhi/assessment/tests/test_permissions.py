"""The permission matrix: persona × action × inside/outside scope, for indicator sets."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.assessment.indicators import policies
from shuzhi.assessment.indicators import services as svc
from shuzhi.core.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_set(world, county_type):
    """A set hosted by 广州市委 assessing its districts (县级党委)."""
    s = svc.create_set(actor=world.alice, host=world.city_a, year=2026, assessed_type=county_type)
    svc.add_item(
        actor=world.alice, indicator_set=s, code="A", name="党建引领基层治理", max_points=10
    )
    return svc.publish_set(actor=world.alice, indicator_set=s)


# (persona, view city set, change city set, self-score county A1, self-score city A)
MATRIX = [
    ("alice", True, True, False, False),  # organiser of the province
    ("bob", True, False, False, True),  # secretary of city A: reads, scores only city A itself
    ("carol", False, False, False, False),  # viewer of city B: out of scope
    ("dave", False, False, False, False),  # inspector of county A1: the host is above him
    ("erin", False, False, False, False),  # no grants
    ("root", True, True, True, True),  # superuser
]


@pytest.mark.parametrize("persona,view,change,self_a1,self_city", MATRIX)
def test_matrix(world, city_set, persona, view, change, self_a1, self_city):
    user = getattr(world, persona)
    assert policies.can_set(user, "round.view", city_set) is view
    assert policies.can_set(user, "round.change", city_set) is change
    assert policies.can_self_score(user, world.county_a1) is self_a1
    assert policies.can_self_score(user, world.city_a) is self_city


def test_county_secretary_self_scores_only_own_unit(world, city_set):
    hank = make_user("hank", (Role.SECRETARY, world.county_a1))
    assert policies.can_self_score(hank, world.county_a1)
    assert not policies.can_self_score(hank, world.township_a1x)  # one level down: no
    assert not policies.can_set(hank, "round.view", city_set)
    assert policies.can_view_unit_scores(hank, city_set, world.county_a1)


def test_anonymous_has_nothing(world, city_set):
    from django.contrib.auth.models import AnonymousUser

    nobody = AnonymousUser()
    assert not policies.can_set(nobody, "round.view", city_set)
    assert not policies.can_self_score(nobody, world.county_a1)
    assert list(city_set.__class__.objects.visible_to(nobody)) == []


def test_governance_policy_is_set_from_above(world):
    assert policies.can_set_governance(world.alice, world.city_a)
    assert not policies.can_set_governance(world.alice, world.province)  # no one above her
    assert policies.can_set_governance(world.root, world.province)
    assert not policies.can_set_governance(world.bob, world.county_a1)


def test_approver_is_never_the_requester(world, city_set):
    adj = svc.request_adjustment(
        actor=world.alice,
        indicator_set=city_set,
        unit=world.county_a1,
        kind="deduction",
        points=1,
        reason="信访问题突出",
    )
    assert not policies.can_approve(world.alice, adj)
    assert policies.can_approve(world.root, adj)
    assert not policies.can_approve(world.bob, adj)  # may read but not change the host's sets
