"""The scoring grid of an indicator set: 3,000 assessed units × 22 items (60,000 item scores,
two automatic items computed from 6,000 ledger problems), against hand-written SQL.

Builds (once) a dedicated PostgreSQL database with one province, 3,000 counties, a published
set of 20 manual and 2 automatic items, a host score for every manual item of every county,
an approved bonus for one county in ten, and two problems per county. Then it times:

- ``grid_all``: ``selectors.grid`` over all 3,000 units (totals of every unit, automatic items
  included) against one hand-written SQL statement returning the same totals;
- ``grid_page``: the median server time of one page of the scoring grid (25 units) through
  the whole view (test client, no network).

    python -m bench.assessment_grid [--fresh] [--drop] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal

from bench.subtree_counts import _admin_connect

PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_ASSESSMENT_DB", "shuzhi_bench_assessment")
COUNTIES, MANUAL_ITEMS = 3_000, 20
GOAL_RATIO, GOAL_PAGE_MS = 3.0, 100.0

TOTALS_SQL = """
WITH manual AS MATERIALIZED (
  SELECT a.unit_id, SUM(LEAST(GREATEST(s.host_points, 0), i.max_points)) AS points
  FROM assessment_itemscore s
  JOIN assessment_annualscore a ON a.id = s.annual_id
  JOIN assessment_indicatoritem i ON i.id = s.item_id
  WHERE a.set_id = %(set)s AND s.host_points IS NOT NULL
  GROUP BY a.unit_id
), adj AS MATERIALIZED (
  SELECT a.unit_id,
    LEAST(COALESCE(SUM(j.points) FILTER (WHERE j.kind = 'bonus'), 0), %(cap)s) AS bonus,
    COALESCE(SUM(j.points) FILTER (WHERE j.kind = 'deduction'), 0) AS deduction
  FROM assessment_adjustment j JOIN assessment_annualscore a ON a.id = j.annual_id
  WHERE a.set_id = %(set)s AND j.status = 'approved' GROUP BY a.unit_id
), prob AS MATERIALIZED (
  SELECT unit_id, COUNT(*) AS total, COUNT(*) FILTER (WHERE status = 'closed') AS closed,
    COUNT(*) FILTER (WHERE status IN ('open', 'in_progress') AND deadline < %(today)s) AS overdue
  FROM rectification_problem WHERE year = %(year)s GROUP BY unit_id
)
SELECT u.id, ROUND(GREATEST(0,
    COALESCE(m.points, 0)
    + CASE WHEN COALESCE(p.total, 0) = 0 THEN %(rate_max)s
           ELSE ROUND(%(rate_max)s * p.closed / p.total, 2) END
    + GREATEST(0, %(overdue_max)s - COALESCE(p.overdue, 0))
    + COALESCE(j.bonus, 0) - COALESCE(j.deduction, 0)), 2) AS total
FROM orgs_unit u
LEFT JOIN manual m ON m.unit_id = u.id
LEFT JOIN adj j ON j.unit_id = u.id
LEFT JOIN prob p ON p.unit_id = u.id
WHERE u.path LIKE %(prefix)s AND u.type_id = %(type)s AND u.id <> %(host)s
  AND u.status = 'active'
ORDER BY u.path
"""


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG_BASE}/{DB_NAME}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shuzhi.settings.test"
    import django

    django.setup()


def _exists() -> bool:
    with _admin_connect() as conn:
        return bool(
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        )


def build() -> None:
    """Create the database and its data (bulk inserts; the product's services for the set)."""
    import datetime

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from shuzhi.assessment.indicators import services as svc
    from shuzhi.assessment.indicators.models import Adjustment, AnnualScore, ItemScore, ItemSource
    from shuzhi.core.testing import make_unit, unit_type
    from shuzhi.orgs.tree.models import Unit, child_path
    from shuzhi.rectification.models import Problem, ProblemSource

    root = get_user_model().objects.create_superuser("bench", password="pw-bench")
    other = get_user_model().objects.create_superuser("bench2", password="pw-bench")
    province = make_unit("B000", "基准省委", "province")
    county_type = unit_type("county")
    units = Unit.objects.bulk_create(
        Unit(
            code=f"B{n:05d}",
            name=f"基准县{n}",
            type=county_type,
            parent=province,
            path=f"~{n}",
            depth=2,
        )
        for n in range(COUNTIES)
    )
    for unit in units:
        unit.path = child_path(province.path, unit.pk)
    Unit.objects.bulk_update(units, ["path"], batch_size=1000)
    s = svc.create_set(actor=root, host=province, year=2026, assessed_type=county_type)
    items = [
        svc.add_item(
            actor=root, indicator_set=s, code=f"M{n:02d}", name=f"基准指标{n}", max_points=4
        )
        for n in range(MANUAL_ITEMS)
    ]
    svc.add_item(
        actor=root,
        indicator_set=s,
        code="R1",
        name="整改完成率",
        max_points=10,
        source=ItemSource.RECT_RATE,
    )
    svc.add_item(
        actor=root,
        indicator_set=s,
        code="R2",
        name="按期整改",
        max_points=5,
        source=ItemSource.RECT_OVERDUE,
    )
    s = svc.publish_set(actor=root, indicator_set=s)
    annuals = AnnualScore.objects.bulk_create(AnnualScore(set=s, unit=u) for u in units)
    ItemScore.objects.bulk_create(
        (
            ItemScore(annual=a, item=i, host_points=Decimal((a.unit_id + i.pk) % 5))
            for a in annuals
            for i in items
        ),
        batch_size=5000,
    )
    Adjustment.objects.bulk_create(
        Adjustment(
            annual=a,
            kind="bonus",
            points=Decimal("2"),
            reason="基准加分",
            requested_by=root,
            status="approved",
            approver=other,
        )
        for a in annuals[::10]
    )
    source = ProblemSource.objects.get(code="xuncha")
    Problem.objects.bulk_create(
        (
            Problem(
                unit=u,
                unit_path=u.path,
                year=2026,
                serial=k + 1,
                description="基准问题",
                source=source,
                found_on=datetime.date(2026, 3, 1),
                deadline=datetime.date(2026, 6, 1),
                status="closed" if (u.pk + k) % 3 == 0 else "open",
                verifier=root if (u.pk + k) % 3 == 0 else None,
            )
            for u in units
            for k in range(2)
        ),
        batch_size=5000,
    )


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--drop", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    fresh = args.fresh or not _exists()
    if fresh:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    setup_django()
    if fresh:
        build()
    import datetime

    from django.contrib.auth import get_user_model
    from django.db import connection

    with connection.cursor() as cursor:  # fresh bulk loads have no statistics yet
        cursor.execute("ANALYZE")
    from django.test import Client

    from shuzhi.assessment.indicators import selectors
    from shuzhi.assessment.indicators.models import IndicatorSet
    from shuzhi.core import clock

    clock.today = lambda: datetime.date(2026, 11, 1)  # the same "today" as the SQL below
    s = IndicatorSet.objects.select_related("host").get()
    units = list(selectors.units_of(s))
    items = {i.code: i for i in s.items.all()}
    params = {
        "set": s.pk,
        "cap": Decimal("5"),
        "today": datetime.date(2026, 11, 1),
        "year": s.year,
        "rate_max": items["R1"].max_points,
        "overdue_max": items["R2"].max_points,
        "prefix": s.host.path + "%",
        "type": s.assessed_type_id,
        "host": s.host_id,
    }

    def product():
        return [r.total for r in selectors.grid(s, list(selectors.units_of(s)))]

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(TOTALS_SQL, params)
            return [Decimal(row[1]).quantize(Decimal("0.01")) for row in cursor.fetchall()]

    ours, theirs = product(), baseline()
    if ours != theirs:
        print("totals differ between the product and the SQL baseline", file=sys.stderr)
        return 1
    # Interleaved, so a burst of load on the shared machine weighs on both sides alike.
    product_times, sql_times = [], []
    for _ in range(args.repeats):
        product_times.append(_median(product, 1))
        sql_times.append(_median(baseline, 1))
    t_product, t_sql = statistics.median(product_times), statistics.median(sql_times)
    ratio = t_product / t_sql
    print(f"figure grid_all_units {len(units)} units")
    print(f"figure grid_all_product {t_product * 1000:.1f} ms")
    print(f"figure grid_all_sql {t_sql * 1000:.1f} ms")

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    url = f"/assessment/{s.pk}/scores/"
    client.get(url)
    t_page = _median(lambda: client.get(url + "?page=60"), args.repeats * 4)
    print(f"figure grid_page_median {t_page * 1000:.1f} ms")
    print(
        f"target grid_all ratio={ratio:.2f} goal={GOAL_RATIO} "
        f"{'ok' if ratio <= GOAL_RATIO else 'short'}"
    )
    print(
        f"target grid_page ratio={t_page * 1000:.1f} goal={GOAL_PAGE_MS} "
        f"{'ok' if t_page * 1000 <= GOAL_PAGE_MS else 'short'}"
    )
    if args.drop:
        connection.close()
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
