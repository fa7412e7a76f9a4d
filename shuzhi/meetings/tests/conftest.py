"""The round fixtures of the cycles tests, shared here."""

from shuzhi.cycles.tests.conftest import province_round, secretaries  # noqa: F401
