"""Import the national tree through ``import_units`` and time the tree pages on it.

Called by :mod:`bench.national_tree` with the converted import file. The database is created
fresh, migrated, and loaded by the product's own command (``manage.py import_units``) in a
subprocess, so the import is measured exactly as an organiser would run it. Then, in this
process, the tree browser, a province's children, a code search, a name search, a province's
unit page and its subtree summary are each requested ~30 times through ``django.test.Client``
as a superuser, beside a minimal view measured the same way, and the subtree counts of the
largest province are compared with hand-written SQL.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 50.0
REPEATS = 30


def _admin(pg_base: str):
    import psycopg

    url = urlparse(pg_base)
    return psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        dbname="postgres",
        autocommit=True,
    )


def _median_ms(func, repeats: int = REPEATS) -> float:
    func()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(csv_path: Path, *, db_name: str, pg_base: str, keep_db: bool) -> None:
    with _admin(pg_base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    env = dict(
        os.environ,
        DATABASE_URL=f"{pg_base}/{db_name}",
        DJANGO_SETTINGS_MODULE="shuzhi.settings.test",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model as g;"
            "g().objects.create_superuser('bench-root', password='x')",
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    started = time.perf_counter()
    done = subprocess.run(
        [*manage, "import_units", str(csv_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    import_seconds = time.perf_counter() - started
    print(done.stdout.strip())
    if done.returncode != 0:
        print(done.stderr[-3000:])
        raise SystemExit("import_units failed")
    print(f"figure national_import {import_seconds:.1f} s")

    os.environ.update(
        DATABASE_URL=env["DATABASE_URL"], DJANGO_SETTINGS_MODULE=env["DJANGO_SETTINGS_MODULE"]
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client, override_settings

    from shuzhi.orgs.tree import selectors
    from shuzhi.orgs.tree.models import Unit

    connection.cursor().execute("ANALYZE")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-root"))
    biggest = Unit.objects.filter(depth=1).annotate(n=Count("children")).order_by("-n").first()
    assert biggest is not None
    size = Unit.objects.filter(path__startswith=biggest.path).count()
    county = Unit.objects.filter(type__code="county", path__startswith=biggest.path).first()
    assert county is not None
    pages = {
        "national_tree_page": "/units/",
        "national_children_of_province": f"/units/{biggest.pk}/children/",
        "national_search_code": "/units/?q=4401",
        "national_search_name": "/units/?q=" + "沙面",
        "national_unit_page_province": f"/units/{biggest.pk}/",
        "national_unit_page_county": f"/units/{county.pk}/",
        "national_summary_tab_province": f"/units/{biggest.pk}/?tab=summary",
    }

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    with override_settings(ROOT_URLCONF="bench.tree_pages"):
        baseline = _median_ms(lambda: client.get("/bench-minimal/"))
        results = {name: _median_ms(lambda url=url: get(url)) for name, url in pages.items()}

    root = get_user_model().objects.get(username="bench-root")
    product = _median_ms(lambda: selectors.subtree_type_counts(root, biggest), 15)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type_id, count(*) FROM orgs_unit WHERE path LIKE %s GROUP BY type_id",
                [biggest.path + "%"],
            )
            return cursor.fetchall()

    sql = _median_ms(raw, 15)
    print(
        f"# national tree: {Unit.objects.count()} units; largest province {biggest.name} "
        f"with {size} units; {REPEATS} requests per page"
    )
    print(f"figure minimal_view_median {baseline:.2f} ms")
    for name, ms in results.items():
        print(f"figure {name}_median {ms:.1f} ms")
    print(f"figure national_subtree_counts_product {product:.1f} ms")
    print(f"figure national_subtree_counts_sql {sql:.1f} ms")
    ratio = product / sql
    print(
        f"target national_subtree_counts ratio={ratio:.2f} goal=2.0 "
        f"{'ok' if ratio <= 2 else 'short'}"
    )
    for name in (
        "national_tree_page",
        "national_children_of_province",
        "national_unit_page_province",
    ):
        r = results[name] / BUDGET_MS
        print(f"target {name} ratio={r:.2f} goal=1.0 {'ok' if r <= 1 else 'short'}")
    if not keep_db:
        connection.close()
        with _admin(pg_base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
