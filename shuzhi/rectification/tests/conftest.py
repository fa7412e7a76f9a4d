"""Fixtures shared by the rectification tests (defined in ``problem_fixtures``)."""

from .problem_fixtures import media, problem  # noqa: F401
