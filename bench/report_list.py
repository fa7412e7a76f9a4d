"""The report list of a round with 3,000 reporters: median server time of its pages beside a
minimal view in the same process, client and middleware.

Builds (once) a dedicated PostgreSQL database with one province, 3,000 counties, a secretary
for each, one 2026 round reporting all of them, and a report for five in six of them (drafts,
submitted, returned and accepted; each with a realistic body of a few thousand characters, so a
list that reads the bodies pays for them). Then it times, as the province's organiser:

- ``first_page``: the list as it opens;
- ``page_60``: a page deep in the list (every reporter is read in sort order);
- ``search``: a search by a unit's name;
- ``status``: the submitted reports only;
- ``status_page``: page 20 of the accepted reports, with a search kept across pages.

The goal is 100 ms per page, kept as a ratio to the minimal view's median measured in the same
run (never the seconds: the machine is shared and noisy).

    python -m bench.report_list [--fresh] [--drop] [--repeats N]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time

from bench.subtree_counts import _admin_connect

PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_REPORT_LIST_DB", "shuzhi_bench_report_list")
REPORTERS = 3_000
# 100 ms where the minimal view answers in about 7 ms (this machine, shared, on a busy day):
# the goal is kept in minimal views so that a noisy run moves both sides alike.
GOAL_OVER_MINIMAL = 15.0
STATUSES = ["draft", "submitted", "returned", "accepted", "submitted", "accepted"]
BODY = (
    "一年来，我始终把抓基层党建作为最大政绩，认真履行第一责任人职责，推动全面从严治党向基层延伸。"
) * 40


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
    """Create the database and its data (bulk inserts; the product's service for the round)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from shuzhi.core.testing import make_unit, unit_type
    from shuzhi.cycles import services as cycle_services
    from shuzhi.cycles.models import RoundReporter
    from shuzhi.orgs.people.models import Person
    from shuzhi.orgs.tree.models import Unit, child_path
    from shuzhi.reports.reports.models import Report

    root = get_user_model().objects.create_superuser("bench", password="pw-bench")
    province = make_unit("R000", "基准省委", "province")
    county_type = unit_type("county")
    units = Unit.objects.bulk_create(
        Unit(
            code=f"R{n:05d}",
            name=f"基准县{n}县委",
            type=county_type,
            parent=province,
            path=f"~{n}",
            depth=2,
        )
        for n in range(REPORTERS)
    )
    for unit in units:
        unit.path = child_path(province.path, unit.pk)
    Unit.objects.bulk_update(units, ["path"], batch_size=1000)
    people = Person.objects.bulk_create(
        Person(name=f"书记{n}", unit=unit) for n, unit in enumerate(units)
    )
    rnd = cycle_services.create_round(actor=root, host=province, year=2026)
    reporters = RoundReporter.objects.bulk_create(
        RoundReporter(round=rnd, unit=unit, person=person, sort_order=n)
        for n, (unit, person) in enumerate(zip(units, people, strict=True))
    )
    now = timezone.now()
    Report.objects.bulk_create(
        (
            Report(
                reporter=reporter,
                title=f"{reporter.unit.name}党委书记抓基层党建工作述职报告",
                status=STATUSES[n % len(STATUSES)],
                sections={"performance": BODY, "problems": BODY[:600], "next_steps": BODY[:400]},
                indicators=[{"name": "党组织覆盖率", "value": "98", "unit": "%", "note": ""}],
                version=0 if n % 6 == 0 else 1 + n % 3,
                author=root,
                submitted_at=None if n % 6 == 0 else now - datetime.timedelta(hours=n),
            )
            for n, reporter in enumerate(reporters)
            if n % 6 != 5 or n % 12 == 5  # about one reporter in twelve has not started
        ),
        batch_size=1000,
    )


def median_ms(client, url: str, repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (Python, without PostgreSQL's own
    process) per request, in ms: on a busy machine the wall time includes waiting for a CPU,
    the CPU time shows what the request itself costs."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--drop", action="store_true")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    fresh = args.fresh or not _exists()
    if fresh:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    setup_django()
    if fresh:
        build()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    from shuzhi.cycles.models import Round
    from shuzhi.reports.reports import quality

    with connection.cursor() as cursor:  # fresh bulk loads have no statistics yet
        cursor.execute("ANALYZE")
    # The list pages start loading the word-segmentation dictionary in a thread once per
    # process; a server has long finished it, so the timing starts after it.
    quality.warm_up()
    rnd = Round.objects.get()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    base = f"/reports/round/{rnd.pk}/"
    pages = {
        "first_page": base,
        "page_60": base + "?page=60",
        "search": base + "?q=基准县1234",
        "status": base + "?status=submitted",
        "status_page": base + "?status=accepted&q=基准县&page=20",
    }
    with override_settings(ROOT_URLCONF="bench.tree_pages"):
        baseline, baseline_cpu = median_ms(client, "/bench-minimal/", args.repeats)
        results = {name: median_ms(client, url, args.repeats) for name, url in pages.items()}
    print(f"# {rnd.reporters.count()} reporters; {args.repeats} requests per page")
    print(f"figure minimal_view_median {baseline:.2f} ms")
    print(f"figure minimal_view_python_cpu_median {baseline_cpu:.2f} ms")
    for name, (ms, cpu) in results.items():
        print(f"figure {name}_median {ms:.1f} ms")
        print(f"figure {name}_python_cpu_median {cpu:.1f} ms")
        print(f"figure {name}_over_minimal {ms / baseline:.1f} x")
    for name, (ms, _cpu) in results.items():
        ratio = ms / baseline
        print(
            f"target {name} ratio={ratio:.1f} goal={GOAL_OVER_MINIMAL:.0f} "
            f"{'ok' if ratio <= GOAL_OVER_MINIMAL else 'short'}"
        )
    if args.drop:
        connection.close()
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
