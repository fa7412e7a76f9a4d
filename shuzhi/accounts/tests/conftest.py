"""Extra personas for account tests, on top of the shared ``world``."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.core.testing import make_unit, make_user

STRONG_PASSWORD = "Lizhi-2026-secure!"


@pytest.fixture
def olga(world):
    """Organiser of city A only: manages city A's subtree, nothing in city B."""
    return make_user("olga", (Role.ORGANISER, world.city_a), full_name="周组织")


@pytest.fixture
def adam(world):
    """Administrator of city A: stronger than an organiser there."""
    return make_user("adam", (Role.ADMIN, world.city_a), full_name="吴管理")


@pytest.fixture
def other_province(world):
    """A second root that none of the personas (except root) can reach."""
    return make_unit("450000", "广西区委", "province")
