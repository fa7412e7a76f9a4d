"""Import a national-size unit tree through the product, against a plain PostgreSQL COPY.

    python -m bench.import_units [--rows 1000000] [--keep-db] [--profile]

Generates a five-level tree in the import format (GB/T 2260-like codes: 31 provinces, ~340
cities, ~3,000 counties, ~41,000 townships, the rest villages up to ``--rows``) into a temporary
CSV file, then, in a fresh database ``shuzhi_bench_import`` (dropped and re-created, migrated):

1. the product's import path — the same functions ``manage.py import_units`` calls: store the
   file as a job, parse, validate, write, audit — into the product's tables;
2. the baseline — ``COPY`` of the exact final rows (read back from the product's table) into an
   empty copy of it, ``CREATE TABLE … (LIKE orgs_unit INCLUDING ALL)``, with the same indexes.

Prints ``figure import_units_product S s``, ``figure import_units_copy S s`` and
``target import_units ratio=R goal=2.0 ok|short``. Not a test; pytest never runs it.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

DB_NAME = "shuzhi_bench_import"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
GOAL = 2.0

PROVINCE_PREFIXES = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
    42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65,
]  # fmt: skip
PROVINCES = [
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
    "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
]  # fmt: skip
SYLLABLES = (
    "东南西北中上下前后新老大小长安平和兴盛丰华阳山河湖海林石桥家庄村屯店营堡寨坪沟湾岭峰"
    "泉水田塘坝园洲岗岩溪源江川云龙凤金银玉宝福寿康宁光明红星建设胜利团结"
)


def _place(rng: random.Random, length: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(length))


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``total`` children over ``parts`` parents, unevenly but with at least one each."""
    if parts <= 0:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    difference = total - sum(counts)
    k = 0
    while difference != 0:
        step = 1 if difference > 0 else -1
        if step > 0 or counts[k % parts] > 1:
            counts[k % parts] += step
            difference -= step
        k += 1
    return counts


def level_sizes(rows: int) -> list[int]:
    """How many units per level for ``rows`` units (a real tree's shape, scaled down if small)."""
    sizes = [31, 340, 3000, 41000]
    if sum(sizes) >= rows:
        factor = rows / 1_000_000
        sizes = [max(1, round(s * factor)) for s in sizes]
        sizes = [min(31, sizes[0]), *sizes[1:]]
    while sum(sizes) >= rows and len(sizes) > 1:
        sizes.pop()
    return [*sizes, rows - sum(sizes)]


def generate(path: Path, rows: int, seed: int = 2260) -> int:
    """Write the tree, parents before children, in the import format; return the row count."""
    rng = random.Random(seed)
    sizes = level_sizes(rows)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "parent_code", "type", "short_name"])
        provinces = []
        for k in range(sizes[0]):
            prefix = PROVINCE_PREFIXES[k % 31] + 100 * (k // 31)
            code = f"{prefix:02d}0000"
            name = PROVINCES[k % 31]
            writer.writerow([code, f"中共{name}省委员会", "", "province", f"{name}省委"])
            provinces.append(code)
        written += len(provinces)
        parents = provinces
        levels = [
            ("city", lambda p, n: f"{p[:2]}{n + 1:02d}00", "市委", 4),
            ("county", lambda p, n: f"{p[:4]}{n + 1:02d}", "县委", 6),
            ("township", lambda p, n: f"{p[:6]}{n + 1:03d}", "镇党委", 9),
            ("village", lambda p, n: f"{p[:9]}{n + 1:03d}", "村党支部", 12),
        ]
        for size, (kind, make_code, suffix, _width) in zip(sizes[1:], levels, strict=False):
            children = []
            for parent, count in zip(parents, _split(size, len(parents), rng), strict=True):
                for n in range(count):
                    code = make_code(parent, n)
                    if kind == "township" and n % 5 == 0:
                        row_kind, row_suffix = "subdistrict", "街道党工委"
                    elif kind == "village" and n % 7 == 0:
                        row_kind, row_suffix = "community", "社区党委"
                    else:
                        row_kind, row_suffix = kind, suffix
                    writer.writerow([code, f"{_place(rng, 3)}{row_suffix}", parent, row_kind, ""])
                    children.append(code)
            written += len(children)
            parents = children
    return written


def recreate_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def checkpoint() -> None:
    """Flush dirty pages so neither measurement pays for the other's writes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def measure_product(csv_path: Path, *, profile: bool) -> float:
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from shuzhi.orgs.imports import units as importing
    from shuzhi.orgs.imports.models import ImportStatus

    actor = get_user_model().objects.filter(is_superuser=True).first()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    with csv_path.open("rb") as handle:
        job = importing.create_job(
            actor=actor, file_name=csv_path.name, content=File(handle), enqueue=False
        )
    job = importing.run_job(job.pk)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if job.status != ImportStatus.DONE:
        raise SystemExit(f"the import failed: {job.errors[:5]}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print(f"# created {job.created_count} units (job #{job.pk})")
    return elapsed


def measure_copy() -> float:
    from django.db import connection

    columns = [
        f.column for f in __import__("shuzhi.orgs.models", fromlist=["Unit"]).Unit._meta.fields
    ]
    column_list = ", ".join(columns)
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY (SELECT {column_list} FROM orgs_unit) TO STDOUT") as copy:
            for chunk in copy:
                buffer.write(chunk)
        cursor.execute("DROP TABLE IF EXISTS bench_unit_copy")
        cursor.execute("CREATE TABLE bench_unit_copy (LIKE orgs_unit INCLUDING ALL)")
    data = buffer.getvalue()
    del buffer
    checkpoint()
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY bench_unit_copy ({column_list}) FROM STDIN") as copy,
    ):
        view = memoryview(data)
        for start in range(0, len(data), 1 << 20):
            copy.write(view[start : start + (1 << 20)])
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_unit_copy")
        print(f"# copied {cursor.fetchone()[0]} rows")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    parser.add_argument("--profile", action="store_true", help="print a profile of the import")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="shuzhi-bench-import-"))
    csv_path = workdir / "units.csv"
    started = time.perf_counter()
    rows = generate(csv_path, args.rows)
    print(f"# generated {rows} rows ({csv_path.stat().st_size / 1e6:.1f} MB) in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    os.environ["DATABASE_URL"] = recreate_database(DB_NAME)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shuzhi.settings.test"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    settings.MEDIA_ROOT = workdir / "media"
    call_command("migrate", verbosity=0)
    get_user_model().objects.create_superuser("bench", password="bench-only-password")

    checkpoint()
    product = measure_product(csv_path, profile=args.profile)
    copy = measure_copy()
    ratio = product / copy
    print(f"figure import_units_product {product:.2f} s")
    print(f"figure import_units_copy {copy:.2f} s")
    print(f"target import_units ratio={ratio:.2f} goal={GOAL} {'ok' if ratio <= GOAL else 'short'}")

    connections.close_all()
    if not args.keep_db:
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    for path in sorted(workdir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    workdir.rmdir()


if __name__ == "__main__":
    sys.exit(main())
