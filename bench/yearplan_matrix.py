"""The progress matrix of a county: ≈300 units × 12 key tasks at the 6/30 checkpoint.

Builds (once) a dedicated PostgreSQL database with one county, 20 townships and 280 villages,
a published list of 12 tasks (10 reported by the units, 2 read from the rectification ledger),
the 6/30 progress of every unit on every reported task (3,000 reports, some behind), two
ledger problems per unit and a notice on every tenth unit. Then it times, as the county's
organiser (superuser here):

- ``matrix_all``: ``progress.selectors.matrix`` over all 300 units (every cell judged, the
  roll-ups by task and unit), against one hand-written SQL statement returning the same
  report rows;
- ``matrix_page``: the median server time of the matrix page (50 units) through the whole
  view (test client, no network), sorted by most behind;
- ``matrix_api``: the median time of ``GET /api/plan/lists/{id}/matrix?limit=300``.

    python -m bench.yearplan_matrix [--fresh] [--drop] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.subtree_counts import _admin_connect

PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_YEARPLAN_DB", "shuzhi_bench_yearplan")
TOWNSHIPS, VILLAGES_EACH, TASKS, AUTOMATIC = 20, 14, 12, 2
GOAL_MS = 100.0

REPORTS_SQL = """
SELECT r.unit_id, r.task_id, r.state, r.value, r.note
FROM yearplan_progressreport r
JOIN yearplan_keytask t ON t.id = r.task_id
JOIN orgs_unit u ON u.id = r.unit_id
WHERE t.task_list_id = %(list)s AND r.checkpoint = %(cp)s AND u.path LIKE %(prefix)s
ORDER BY u.path, t.sort_order
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
    """Create the database and its data (bulk inserts; the product's services for the list)."""
    import datetime
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shuzhi.core.testing import make_unit, unit_type
    from shuzhi.orgs.tree.models import Unit, child_path
    from shuzhi.rectification.models import Problem, ProblemSource
    from shuzhi.yearplan.keytasks import services
    from shuzhi.yearplan.progress.models import ProgressNotice, ProgressReport

    root = get_user_model().objects.create_superuser("bench", password="pw-bench")
    province = make_unit("Y00", "基准省委", "province")
    city = make_unit("Y0001", "基准市委", "city", province)
    county = make_unit("Y000101", "基准县委", "county", city)

    def bulk(parent: Unit, type_code: str, count: int, prefix: str) -> list[Unit]:
        rows = Unit.objects.bulk_create(
            Unit(
                code=f"{prefix}{n:03d}",
                name=f"{parent.name[:4]}{type_code}{n}",
                type=unit_type(type_code),
                parent=parent,
                path=f"~{prefix}{n}",
                depth=parent.depth + 1,
            )
            for n in range(count)
        )
        for unit in rows:
            unit.path = child_path(parent.path, unit.pk)
        Unit.objects.bulk_update(rows, ["path"], batch_size=1000)
        return rows

    townships = bulk(county, "township", TOWNSHIPS, "T")
    villages = [v for t in townships for v in bulk(t, "village", VILLAGES_EACH, f"V{t.pk}-")]
    units = [*townships, *villages]
    types = [unit_type("township"), unit_type("village")]
    task_list = services.create_list(actor=root, host=county, year=2026, title="基准县重点任务")
    for n in range(TASKS):
        automatic = n >= TASKS - AUTOMATIC
        services.save_task(
            actor=root,
            task_list=task_list,
            applies_to=types,
            code=str(n + 1),
            title=f"基准任务{n + 1}",
            description=f"基准任务{n + 1}的具体要求。",
            target_kind="number",
            target_value="0" if n == TASKS - 1 else "100",
            target_unit="个" if n == TASKS - 1 else "%",
            weight="5",
            checkpoints="06-30, 10-31",
            source=("rect_overdue" if n == TASKS - 1 else "rect_rate") if automatic else "manual",
        )
    task_list = services.publish_list(actor=root, task_list=task_list)
    june = datetime.date(2026, 6, 30)
    tasks = [t for t in task_list.tasks.all() if t.source == "manual"]
    ProgressReport.objects.bulk_create(
        (
            ProgressReport(
                task=t,
                unit=u,
                checkpoint=june,
                value=Decimal((u.pk * 7 + t.pk * 13) % 101),
                state="behind" if (u.pk * 7 + t.pk * 13) % 101 < 50 else "on_track",
                note="基准进度说明",
                reported_by=root,
            )
            for u in units
            for t in tasks
        ),
        batch_size=5000,
    )
    ProgressNotice.objects.bulk_create(
        ProgressNotice(
            task_list=task_list,
            task=tasks[0],
            unit=u,
            level="urge",
            level_name="催办单",
            checkpoint=june,
            body="基准催办",
            sent_by=root,
        )
        for u in units[::10]
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
    parser.add_argument("--repeats", type=int, default=9)
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
    from django.test import Client

    from shuzhi.accounts import tokens
    from shuzhi.yearplan.keytasks.models import TaskList
    from shuzhi.yearplan.progress.selectors import matrix

    with connection.cursor() as cursor:  # fresh bulk loads have no statistics yet
        cursor.execute("ANALYZE")
    task_list = TaskList.objects.select_related("host").get()
    user = get_user_model().objects.get(username="bench")
    june = datetime.date(2026, 6, 30)
    params = {"list": task_list.pk, "cp": june, "prefix": task_list.host.path + "%"}

    def product():
        return matrix(task_list, user, checkpoint=june, limit=1000)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(REPORTS_SQL, params)
            return cursor.fetchall()

    m = product()
    cells = sum(1 for r in m.rows for c in r.cells if c.report_id)
    if cells != len(baseline()):
        print(f"reports differ: matrix {cells}, SQL {len(baseline())}")
        return 1
    t_product = _median(product, args.repeats)
    t_sql = _median(baseline, args.repeats)
    print(f"figure matrix_units {m.total_units} units")
    print(f"figure matrix_tasks {len(m.tasks)} tasks")
    print(f"figure matrix_all_product {t_product * 1000:.1f} ms")
    print(f"figure matrix_all_sql_reports {t_sql * 1000:.1f} ms")
    client = Client()
    client.force_login(user)
    page_url = f"/plan/{task_list.pk}/matrix/?checkpoint=2026-06-30&sort=behind"
    client.get(page_url)
    t_page = _median(lambda: client.get(page_url), args.repeats)
    print(f"figure matrix_page_median {t_page * 1000:.1f} ms")
    _, raw = tokens.issue_token(actor=user, name="bench", access="read")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api_url = f"/api/plan/lists/{task_list.pk}/matrix?checkpoint=2026-06-30&limit=300"
    assert api.get(api_url).status_code == 200
    t_api = _median(lambda: api.get(api_url), args.repeats)
    print(f"figure matrix_api_300_median {t_api * 1000:.1f} ms")
    for name, value in (
        ("matrix_all", t_product),
        ("matrix_page", t_page),
        ("matrix_api_300", t_api),
    ):
        ms = value * 1000
        print(
            f"target {name} ratio={ms / GOAL_MS:.2f} goal=1.0 "
            f"{'ok' if ms <= GOAL_MS else 'short'} ({ms:.1f} ms of {GOAL_MS:.0f})"
        )
    if args.drop:
        connection.close()
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
