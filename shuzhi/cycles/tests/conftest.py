"""Fixtures for rounds and meetings: a province round hearing both cities, with secretaries."""

from __future__ import annotations

import datetime

import pytest

from shuzhi.cycles import services as cs
from shuzhi.orgs.people.models import Person, Post, PostRole


@pytest.fixture
def secretaries(world):
    """Secretaries of the two cities (city A changed hands on 2026-07-01)."""
    made = {}
    for unit, name, start, end in [
        (world.city_a, "甲书记", datetime.date(2020, 1, 1), datetime.date(2026, 6, 30)),
        (world.city_a, "乙书记", datetime.date(2026, 7, 1), None),
        (world.city_b, "丙书记", datetime.date(2021, 1, 1), None),
        (world.county_a1, "丁书记", datetime.date(2021, 1, 1), None),
        (world.county_a2, "戊书记", datetime.date(2021, 1, 1), None),
    ]:
        person = Person.objects.create(name=name, unit=unit)
        Post.objects.create(
            person=person, unit=unit, role=PostRole.SECRETARY, start_date=start, end_date=end
        )
        made[name] = person
    return made


@pytest.fixture
def province_round(world, secretaries):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(actor=world.alice, round=round, codes="440100 440300")
    return round
