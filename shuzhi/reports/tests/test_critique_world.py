"""Fixtures for critiques and plans: a round hosted by city A (广州市委) hearing its two
counties, with the personas of ``build_world`` plus

- lena: a leadership-team member (班子成员, ``Role.LEADER``) of city A;
- sam: secretary of county A1 (荔湾区委) — the reporter's unit, writes its plan;
- pete: secretary of the province — city A's superior, *not* the host's secretary.

Import the fixtures by name from this module.
"""

from __future__ import annotations

import datetime

import pytest

from shuzhi.accounts.models import Role
from shuzhi.core import clock
from shuzhi.core.testing import make_user
from shuzhi.cycles import services as cs
from shuzhi.cycles.models import RoundReporter

TODAY = datetime.date(2026, 12, 10)

CONCRETE = (
    "荔湾区委书记述职实事求是，抓基层党建有思路有举措。但也要看到存在的问题："
    "一是软弱涣散村党组织整顿进度滞后，3个村至今未完成转化；"
    "二是党员发展质量不高，部分支部“三会一课”流于形式。请区委对照问题逐项整改。"
)
PRAISE_ONLY = (
    "荔湾区委一年来抓基层党建工作成效显著，亮点突出，各项工作扎实有力、稳步推进，"
    "高度重视党建引领基层治理，创新举措有声有色，取得了很好的成绩，值得充分肯定。"
)
PROBLEMS = [
    {"description": "软弱涣散村党组织整顿进度滞后，3个村未完成转化", "severity": "major"},
    {"description": "部分支部“三会一课”流于形式，记录不全", "severity": "general"},
]


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def lena(world):
    return make_user("lena", (Role.LEADER, world.city_a), full_name="周委员")


@pytest.fixture
def sam(world):
    return make_user("sam", (Role.SECRETARY, world.county_a1), full_name="孙区书记")


@pytest.fixture
def pete(world):
    return make_user("pete", (Role.SECRETARY, world.province), full_name="彭省书记")


@pytest.fixture
def city_round(world):
    """City A's 2026 round hearing counties A1 and A2."""
    round = cs.create_round(actor=world.alice, host=world.city_a, year=2026)
    cs.add_reporters_by_codes(
        actor=world.alice, round=round, codes=f"{world.county_a1.code} {world.county_a2.code}"
    )
    return round


@pytest.fixture
def reporter(world, city_round) -> RoundReporter:
    """County A1 reporting in city A's round."""
    return RoundReporter.objects.select_related("round__host", "unit").get(
        round=city_round, unit=world.county_a1
    )


@pytest.mark.django_db
def test_the_fixture_round_hears_the_counties_of_city_a(world, city_round, reporter):
    assert city_round.host == world.city_a
    assert set(city_round.reporters.values_list("unit__code", flat=True)) == {
        world.county_a1.code,
        world.county_a2.code,
    }
    assert reporter.unit == world.county_a1


@pytest.fixture
def province_reporter(world) -> RoundReporter:
    """City A reporting in the province's 2026 round (hosted by alice's province)."""
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.add_reporters_by_codes(
        actor=world.alice, round=round, codes=f"{world.city_a.code} {world.city_b.code}"
    )
    return RoundReporter.objects.select_related("round__host", "unit").get(
        round=round, unit=world.city_a
    )
