"""Fixtures: a province set for county-level units, published, and a city ready to derive."""

from __future__ import annotations

import pytest

from shuzhi.assessment.indicators import services as svc
from shuzhi.core.testing import unit_type

PROVINCE_ITEMS = [
    ("A1", "基层党组织标准化规范化建设达标率", "20", "outcome"),
    ("A2", "软弱涣散基层党组织整顿转化成效", "20", "outcome"),
    ("A3", "党员发展质量和结构优化", "15", "outcome"),
    ("A4", "群众对基层党组织服务满意度", "15", "outcome"),
]


@pytest.fixture
def county_type(db):
    return unit_type("county")


@pytest.fixture
def province_set(world, county_type):
    """广东省委 2026 county-level set with four outcome items, published."""
    s = svc.create_set(actor=world.alice, host=world.province, year=2026, assessed_type=county_type)
    for code, name, points, kind in PROVINCE_ITEMS:
        svc.add_item(
            actor=world.alice, indicator_set=s, code=code, name=name, max_points=points, kind=kind
        )
    return svc.publish_set(actor=world.alice, indicator_set=s)
