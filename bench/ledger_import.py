"""Import a 100,000-row problem ledger through the product, against a plain PostgreSQL COPY.

    python -m bench.ledger_import [--rows 100000] [--keep-db] [--profile]

In a fresh database ``shuzhi_bench_ledger`` (dropped and re-created, migrated) with a tree of
about 2,200 units (a province, cities, counties, townships — loaded with the unit import), it
generates a ledger CSV of ``--rows`` items spread over the units (every source, a third with a
progress note, two in five already 整改中, dates written several ways), then measures:

1. the product's import path — the same functions the page's background task calls: store the
   file as a ``LedgerImport``, read, check every row, write (ids, serials, ``COPY``), audit;
2. the baseline — ``COPY`` of the exact final rows the import wrote (read back from the
   product's tables: the problems, their progress notes and their first status records) into
   empty copies of those tables, ``CREATE TABLE … (LIKE … INCLUDING ALL)``, with the same
   indexes.

Prints ``figure ledger_import_product S s``, ``figure ledger_import_copy S s`` (all three
tables), ``figure ledger_import_copy_problems S s`` (the problem table alone) and
``target ledger_import ratio=R goal=2.0 ok|short``; and, for information,
``figure ledger_export S s``: the whole ledger exported to Excel. Not a test; pytest never
runs it.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import tempfile
import time
from pathlib import Path

from bench.import_units import checkpoint, recreate_database

DB_NAME = "shuzhi_bench_ledger"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
GOAL = 2.0
YEAR = 2025
TABLES = ("rectification_problem", "rectification_progressnote", "rectification_problemtransition")

SOURCES = ["巡视", "巡察", "专项督察/督查", "随机调研", "暗访", "信访/群众反映", "自查", "民主评议"]
SUBJECTS = [
    "组织生活会",
    "“三会一课”",
    "发展党员",
    "党费收缴",
    "村级财务公开",
    "“三重一大”决策",
    "意识形态工作",
    "基层减负",
    "换届选举",
    "阵地建设",
]
FAULTS = ["流于形式", "记录不全", "程序不规范", "落实不到位", "台账缺失", "督促不力"]
MEASURES = [
    "制定专项整改方案，明确责任分工，限期完成。",
    "开展专题培训，建立督导检查机制，纳入年度考核。",
    "补齐相关资料，完善制度流程，定期复查。",
]
PROGRESS = ["已召开专题会议部署整改。", "已完成资料补录，正在复核。", "已制定制度，待落实。"]


def generate_units(path: Path) -> list[str]:
    """A province with 20 cities, 10 counties each and 10 townships per county; the codes."""
    codes = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "parent_code", "type"])
        writer.writerow(["440000", "中共广东省委员会", "", "province"])
        codes.append("440000")
        for c in range(1, 21):
            city = f"44{c:02d}00"
            writer.writerow([city, f"第{c}市委", "440000", "city"])
            codes.append(city)
            for k in range(1, 11):
                county = f"44{c:02d}{k:02d}"
                writer.writerow([county, f"第{c}市第{k}县委", city, "county"])
                codes.append(county)
                for t in range(1, 11):
                    town = f"{county}{t:03d}"
                    writer.writerow([town, f"第{c}-{k}-{t}镇党委", county, "township"])
                    codes.append(town)
    return codes


def generate_ledger(path: Path, rows: int, codes: list[str], seed: int = 2025) -> None:
    """The ledger in the columns an organisation department uses."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "序号",
                "组织代码",
                "问题来源",
                "问题描述",
                "严重程度",
                "发现日期",
                "整改措施",
                "责任领导",
                "责任人",
                "责任部门",
                "责任类型",
                "完成时限",
                "整改进展",
                "状态",
            ]
        )
        for n in range(1, rows + 1):
            month = rng.randint(1, 9)
            day = rng.randint(1, 28)
            found = (
                f"{YEAR}-{month:02d}-{day:02d}" if n % 3 else f"{YEAR}年{month}月{day}日"
            )  # fmt: skip
            deadline = (
                f"{YEAR}-{month + 3:02d}-28" if n % 4 else f"{YEAR}年{month + 3}月底"
            )  # fmt: skip
            writer.writerow(
                [
                    n,
                    rng.choice(codes),
                    rng.choice(SOURCES),
                    f"{rng.choice(SUBJECTS)}{rng.choice(FAULTS)}（第{n}项）",
                    rng.choice(["一般", "一般", "较重", "严重"]),
                    found,
                    rng.choice(MEASURES),
                    f"王{n % 97}",
                    f"李{n % 89}",
                    "组织部",
                    rng.choice(["主体责任", "第一责任", "直接责任", "一岗双责"]),
                    deadline,
                    rng.choice(PROGRESS) if n % 3 == 0 else "",
                    "整改中" if n % 5 < 2 else "待整改",
                ]
            )


def measure_product(csv_path: Path, *, profile: bool) -> float:
    from django.contrib.auth import get_user_model

    from shuzhi.orgs.tree.models import Unit
    from shuzhi.rectification import ledger_import

    actor = get_user_model().objects.filter(is_superuser=True).first()
    scope = Unit.objects.get(code="440000")
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    job = ledger_import.import_file(actor=actor, unit=scope, year=YEAR, path=csv_path)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if job.status != "done":
        raise SystemExit(f"the import failed: {job.errors[:5]}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print(f"# created {job.created_count} problems (import #{job.pk})")
    return elapsed


def _copy_out(table: str) -> tuple[str, bytes]:
    from django.apps import apps
    from django.db import connection

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    columns = ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields)
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as copy:
            for chunk in copy:
                buffer.write(chunk)
        cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
        cursor.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
    return columns, buffer.getvalue()


def _copy_in(table: str, columns: str, data: bytes) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY bench_{table} ({columns}) FROM STDIN") as copy,
    ):
        view = memoryview(data)
        for start in range(0, len(data), 1 << 20):
            copy.write(view[start : start + (1 << 20)])
    return time.perf_counter() - started


def measure_copy() -> tuple[float, float]:
    """The baseline over the three tables, and over the problem table alone."""
    dumps = {table: _copy_out(table) for table in TABLES}
    checkpoint()
    times = {table: _copy_in(table, *dumps[table]) for table in TABLES}
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM bench_{table}")
            print(f"# copied {cursor.fetchone()[0]} rows into bench_{table}")
    return sum(times.values()), times["rectification_problem"]


def measure_export() -> float:
    """The whole year's ledger exported to Excel (for information; no target)."""
    from django.contrib.auth import get_user_model

    from shuzhi.rectification import ledger_export
    from shuzhi.rectification.selectors import LedgerFilters

    actor = get_user_model().objects.get(username="bench")
    started = time.perf_counter()
    out, count = ledger_export.export_ledger(actor=actor, filters=LedgerFilters(year=YEAR))
    elapsed = time.perf_counter() - started
    out.seek(0, 2)
    print(f"# exported {count} rows ({out.tell() / 1e6:.1f} MB)")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    parser.add_argument("--profile", action="store_true", help="print a profile of the import")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="shuzhi-bench-ledger-"))
    units_csv = workdir / "units.csv"
    ledger_csv = workdir / "ledger.csv"
    codes = generate_units(units_csv)
    started = time.perf_counter()
    generate_ledger(ledger_csv, args.rows, codes)
    print(f"# generated {args.rows} rows ({ledger_csv.stat().st_size / 1e6:.1f} MB) over "
          f"{len(codes)} units in {time.perf_counter() - started:.1f} s")  # fmt: skip

    os.environ["DATABASE_URL"] = recreate_database(DB_NAME)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shuzhi.settings.test"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from shuzhi.orgs.imports import units as importing

    settings.MEDIA_ROOT = workdir / "media"
    call_command("migrate", verbosity=0)
    actor = get_user_model().objects.create_superuser("bench", password="bench-only-password")
    job = importing.import_file(actor=actor, path=units_csv)
    print(f"# loaded {job.created_count} units")
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    checkpoint()

    product = measure_product(ledger_csv, profile=args.profile)
    copy, copy_problems = measure_copy()
    ratio = product / copy
    export = measure_export()
    print(f"figure ledger_import_product {product:.2f} s")
    print(f"figure ledger_import_copy {copy:.2f} s")
    print(f"figure ledger_import_copy_problems {copy_problems:.2f} s")
    print(f"figure ledger_export {export:.2f} s")
    print(
        f"target ledger_import ratio={ratio:.2f} goal={GOAL} {'ok' if ratio <= GOAL else 'short'}"
    )

    connections.close_all()
    if not args.keep_db:
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    for path in sorted(workdir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    workdir.rmdir()


if __name__ == "__main__":
    main()
