"""Fixtures shared by the whole suite."""

import pytest

from shuzhi.core.testing import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()
