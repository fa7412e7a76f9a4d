"""A hand-made ledger over the test world, for the ledger's selector, page and API tests.

Today is 2026-06-15 (the tests patch ``shuzhi.core.clock.today``). In 2026:

| # | unit         | source      | status      | severity | deadline   | note                 |
|---|--------------|-------------|-------------|----------|------------|----------------------|
| 1 | province     | xunshi      | open        | general  | 2026-05-01 | overdue              |
| 2 | city_a       | xunshi      | in_progress | major    | 2026-07-01 | 张三, due in 16 days |
| 3 | county_a1    | xuncha      | closed      | serious  | 2026-03-01 |                      |
| 4 | village_a1x1 | self        | submitted   | general  | 2026-01-01 | not active: on time  |
| 5 | county_a2    | xunshi      | open        | general  | —          |                      |
| 6 | city_b       | supervision | closed      | major    | —          |                      |
| 7 | county_b1    | xunshi      | long_term   | general  | 2026-02-01 | not active: on time  |

and one closed item of city_a in 2025.
"""

from __future__ import annotations

import datetime

from shuzhi.core import clock
from shuzhi.rectification.models import Problem, ProblemSource

TODAY = datetime.date(2026, 6, 15)


def freeze(monkeypatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def make_problem(unit, *, source="xunshi", year=2026, serial=None, verifier=None, **fields):
    if fields.get("status") == "closed" and verifier is None:
        raise AssertionError("closed items need a verifier")
    count = Problem.objects.filter(unit=unit, year=year).count()
    return Problem.objects.create(
        unit=unit,
        unit_path=unit.path,
        year=year,
        serial=serial or count + 1,
        source=ProblemSource.objects.get(code=source),
        found_on=datetime.date(year, 1, 10),
        verifier=verifier,
        **fields,
    )


def build_ledger(world) -> dict[int, Problem]:
    w = world
    d = datetime.date
    return {
        1: make_problem(
            w.province, description="巡视发现：干部选拔任用程序不规范", deadline=d(2026, 5, 1)
        ),
        2: make_problem(
            w.city_a,
            description="落实全面从严治党主体责任不到位",
            status="in_progress",
            severity="major",
            deadline=d(2026, 7, 1),
            responsible_person_name="张三",
            responsible_leader_name="李书记",
        ),
        3: make_problem(
            w.county_a1,
            source="xuncha",
            description="基层党组织换届不及时",
            status="closed",
            severity="serious",
            deadline=d(2026, 3, 1),
            verifier=w.alice,
            responsible_person_name="王五",
        ),
        4: make_problem(
            w.village_a1x1,
            source="self",
            description="三会一课记录不全",
            status="submitted",
            deadline=d(2026, 1, 1),
        ),
        5: make_problem(w.county_a2, description="党费收缴不规范"),
        6: make_problem(
            w.city_b,
            source="supervision",
            description="整治形式主义为基层减负落实不到位",
            status="closed",
            severity="major",
            verifier=w.alice,
        ),
        7: make_problem(
            w.county_b1,
            description="村级集体经济薄弱",
            status="long_term",
            deadline=d(2026, 2, 1),
            responsible_leader_name="张书记",
        ),
        8: make_problem(
            w.city_a, year=2025, description="上年度问题", status="closed", verifier=w.alice
        ),
    }
