"""Subtree counts by type on a 1,000,000-unit tree: the product's selector against raw SQL.

Builds (once) a synthetic national tree directly with ``COPY`` in a dedicated PostgreSQL
database: 31 provinces, 340 cities, 3,000 counties, 41,000 townships and villages up to a
million units. In the first province one city holds about 100,000 descendants, and one
township has 5,000 villages (the "many children" case of the tree browser). Then it times the
counts by type of that big city through
``shuzhi.orgs.tree.selectors.subtree_type_counts`` and through the hand-written
``SELECT type_id, count(*) … WHERE path LIKE … GROUP BY type_id`` on the same database, median
over repeats.

    python -m bench.subtree_counts [--fresh] [--drop] [--repeats N]

``--fresh`` rebuilds the database; ``--drop`` drops it at the end. ``bench.tree_pages`` uses
the same database and builder.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlparse

PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "shuzhi_bench_tree"
TOTAL_UNITS = 1_000_000
PROVINCES, CITIES, COUNTIES, TOWNSHIPS = 31, 340, 3_000, 41_000
# The big city: 40 counties × 50 townships × 49 villages = 100,040 descendants.
BIG_COUNTIES, BIG_TOWNSHIPS_EACH, BIG_VILLAGES_EACH = 40, 50, 49
WIDE_TOWNSHIP_CHILDREN = 5_000
GOAL = 2.0


@dataclass
class TreeFacts:
    """Ids of the units the benchmarks look at."""

    big_city: int
    wide_township: int
    total: int


def _admin_connect(dbname: str = "postgres"):
    import psycopg

    url = urlparse(PG_BASE)
    return psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname=dbname,
        autocommit=True,
    )


def _database_exists() -> bool:
    with _admin_connect() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
    return row is not None


def drop_database() -> None:
    with _admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def setup_django() -> None:
    """Point Django at the benchmark database (before setup) and load it."""
    os.environ["DATABASE_URL"] = f"{PG_BASE}/{DB_NAME}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shuzhi.settings.test"
    import django

    django.setup()


def _layout() -> tuple[list[list], int]:
    """Per level, the parent's index (in the level above) of every unit; and the wide township.

    The first city of the first province is the big city; the first township outside it is the
    wide one.
    """
    cities = [i % PROVINCES for i in range(CITIES)]
    counties = [0] * BIG_COUNTIES + [1 + i % (CITIES - 1) for i in range(COUNTIES - BIG_COUNTIES)]
    big_townships = BIG_COUNTIES * BIG_TOWNSHIPS_EACH
    townships = [i // BIG_TOWNSHIPS_EACH for i in range(big_townships)] + [
        BIG_COUNTIES + i % (COUNTIES - BIG_COUNTIES) for i in range(TOWNSHIPS - big_townships)
    ]
    villages_total = TOTAL_UNITS - PROVINCES - CITIES - COUNTIES - TOWNSHIPS
    big_villages = big_townships * BIG_VILLAGES_EACH
    wide = big_townships  # the first township outside the big city
    rest = villages_total - big_villages - WIDE_TOWNSHIP_CHILDREN
    others = TOWNSHIPS - big_townships - 1
    villages = (
        [i // BIG_VILLAGES_EACH for i in range(big_villages)]
        + [wide] * WIDE_TOWNSHIP_CHILDREN
        + [wide + 1 + i % others for i in range(rest)]
    )
    return [[None] * PROVINCES, cities, counties, townships, villages], wide


def build_tree() -> TreeFacts:
    """Create the database, migrate it and load the million units with one COPY."""
    from django.core.management import call_command
    from django.db import connection

    from shuzhi.orgs.tree.models import UnitType

    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    call_command("migrate", verbosity=0)
    types = dict(UnitType.objects.values_list("code", "pk"))
    levels, wide_index = _layout()
    kinds = [
        ("province", "第{n}省委"),
        ("city", "第{n}市委"),
        ("county", "第{n}县委"),
        ("township", "第{n}镇党委"),
        ("village", "第{n}村党组织"),
    ]
    widths = [2, 2, 2, 3, 4]
    now = datetime.datetime.now(datetime.UTC).isoformat()
    next_id = 1
    previous: list[tuple[int, str, str]] = []  # (id, path, code) of the level above
    facts = TreeFacts(big_city=0, wide_township=0, total=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        columns = (
            "id, code, name, short_name, type_id, parent_id, path, depth, status, sort_order,"
            " created_at, updated_at"
        )
        with raw.copy(f"COPY orgs_unit ({columns}) FROM STDIN") as copy:
            for depth, parents in enumerate(levels, start=1):
                kind, pattern = kinds[depth - 1]
                type_id = types[kind]
                seen: dict[int | None, int] = {}
                current = []
                for parent_index in parents:
                    position = seen.get(parent_index, 0) + 1
                    seen[parent_index] = position
                    if parent_index is None:
                        parent_id, parent_path, code = None, "/", f"{10 + position:02d}"
                    else:
                        parent_id, parent_path, parent_code = previous[parent_index]
                        code = f"{parent_code}{position:0{widths[depth - 1]}d}"
                    pk = next_id
                    next_id += 1
                    path = f"{parent_path}{pk}/"
                    copy.write_row(
                        (
                            pk,
                            code,
                            pattern.format(n=pk),
                            "",
                            type_id,
                            parent_id,
                            path,
                            depth,
                            "active",
                            position * 10,
                            now,
                            now,
                        )
                    )
                    current.append((pk, path, code))
                if depth == 2:
                    facts.big_city = current[0][0]
                if depth == 4:
                    facts.wide_township = current[wide_index][0]
                previous = current
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('orgs_unit', 'id'), %s)", [next_id - 1]
        )
        cursor.execute("ANALYZE orgs_unit")
    facts.total = next_id - 1
    print(f"# built {facts.total} units in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return facts


def tree_facts() -> TreeFacts:
    """Find the big city and the wide township of an existing benchmark tree."""
    from django.db.models import Count

    from shuzhi.orgs.tree.models import Unit

    big_city = Unit.objects.get(depth=2, code="1101").pk
    widest = (
        Unit.objects.filter(depth=5)
        .values("parent_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("parent_id", flat=True)
    )
    wide = widest[0]
    return TreeFacts(big_city=big_city, wide_township=wide, total=Unit.objects.count())


def prepare(fresh: bool = False) -> TreeFacts:
    """Django pointed at the benchmark tree, building it when missing (or when ``fresh``)."""
    if fresh:
        drop_database()
    exists = _database_exists()
    setup_django()
    return tree_facts() if exists else build_tree()


def median_ms(func, repeats: int) -> float:
    func()  # warm the caches and the connection
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    facts = prepare(args.fresh)

    from django.contrib.auth import get_user_model
    from django.db import connection

    from shuzhi.orgs.tree import selectors
    from shuzhi.orgs.tree.models import Unit

    big = Unit.objects.get(pk=facts.big_city)
    reader = get_user_model()(username="bench", is_superuser=True, is_active=True)
    product = selectors.subtree_type_counts(reader, big)
    descendants = sum(product.values())

    def raw_sql() -> dict[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type_id, count(*) FROM orgs_unit WHERE path LIKE %s GROUP BY type_id",
                [big.path + "%"],
            )
            return dict(cursor.fetchall())

    assert raw_sql() == product, "the selector and the SQL disagree"
    product_ms = median_ms(lambda: selectors.subtree_type_counts(reader, big), args.repeats)
    sql_ms = median_ms(raw_sql, args.repeats)
    summary_ms = median_ms(lambda: selectors.subtree_summary(reader, big), args.repeats)
    ratio = product_ms / sql_ms
    print(f"# tree of {facts.total} units; subtree of unit {big.pk} has {descendants} units")
    print(f"figure subtree_counts_product {product_ms:.1f} ms")
    print(f"figure subtree_counts_sql {sql_ms:.1f} ms")
    print(f"figure subtree_summary_product {summary_ms:.1f} ms")
    print(
        f"target subtree_counts ratio={ratio:.2f} goal={GOAL} {'ok' if ratio <= GOAL else 'short'}"
    )
    if args.drop:
        connection.close()
        drop_database()


if __name__ == "__main__":
    main()
