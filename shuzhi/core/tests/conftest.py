"""Fixtures for the audit tests."""

from __future__ import annotations

import pytest

from shuzhi.accounts.models import Role
from shuzhi.core.testing import make_user


@pytest.fixture
def olga(world):
    """Organiser of city A only."""
    return make_user("olga", (Role.ORGANISER, world.city_a), full_name="周组织")
