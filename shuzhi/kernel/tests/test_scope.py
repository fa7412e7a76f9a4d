"""Grants turn into subtree scopes; secretaries reach one level down."""

import pytest

from shuzhi.orgs.tree.models import Unit
from shuzhi.orgs.tree.policies import can

pytestmark = pytest.mark.django_db


def test_organiser_sees_whole_subtree(world):
    assert Unit.objects.visible_to(world.alice).count() == Unit.objects.count()


def test_secretary_sees_own_unit_and_direct_children_only(world):
    visible = set(Unit.objects.visible_to(world.bob).values_list("code", flat=True))
    assert visible == {"440100", "440103", "440104"}
    assert not can(world.bob, "unit.change", world.city_a)


def test_viewer_and_no_grant(world):
    assert set(Unit.objects.visible_to(world.carol).values_list("code", flat=True)) == {
        "440300",
        "440303",
    }
    assert Unit.objects.visible_to(world.erin).count() == 0


def test_superuser_sees_everything(world):
    assert can(world.root, "unit.change", world.village_a1x1)
    with pytest.raises(ValueError):
        can(world.root, "no.such.action", world.province)
