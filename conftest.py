"""Fixtures shared by the whole suite."""

import pytest
from hypothesis import settings

from shuzhi.core.testing import World, build_world

# The machines that run the suite are shared and noisy: a property test's example may wait for
# the CPU far longer than Hypothesis's default 200 ms deadline without being slow itself.
settings.register_profile("shuzhi", deadline=None)
settings.load_profile("shuzhi")


@pytest.fixture
def world(db) -> World:
    return build_world()
