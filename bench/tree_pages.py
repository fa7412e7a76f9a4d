"""Server time of the tree browser and the unit page on a 1,000,000-unit tree.

Uses the synthetic tree of :mod:`bench.subtree_counts` (built with ``COPY`` on first use).
Each page is requested ~30 times through ``django.test.Client`` as a superuser (the whole tree
in scope) and the median is taken; the baseline is a minimal view returning a tiny
``HttpResponse`` through the same client, middleware and process in the same run.

The issue's target is a median under 50 ms for the tree browser and the unit page. Each page
prints its median in ms and its ratio to the minimal view; the targets compare the median
with the 50 ms budget (ratio = median / 50 ms, goal 1.0).

    python -m bench.tree_pages [--fresh] [--drop] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path

from bench.subtree_counts import drop_database, prepare

BUDGET_MS = 50.0


def minimal(request):
    return HttpResponse("ok")


# The URL map for the run: the product's own, plus the minimal view. It is read only once Django
# is set up (``include`` imports the product's URL map, which needs the settings).
if settings.configured:
    urlpatterns = [path("bench-minimal/", minimal), path("", include("shuzhi.urls"))]


def _median_ms(client, url: str, repeats: int, **extra) -> float:
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url, **extra)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    facts = prepare(args.fresh)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    from shuzhi.orgs.tree.models import Unit

    user, _ = get_user_model().objects.get_or_create(
        username="bench-root", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    village = Unit.objects.filter(parent_id=facts.wide_township).order_by("-pk").first()
    assert village is not None
    pages = {
        "tree_page": ("/units/", {}),
        "children_fragment": (f"/units/{facts.wide_township}/children/", {}),
        "search_code": ("/units/?q=1101", {}),
        # A rare name: the name-contains scan finds too little and reads the whole table.
        "search_name": (f"/units/?q=第{village.pk}村", {}),
        "search_fragment": ("/units/?q=1101", {"headers": {"HX-Request": "true"}}),
        "unit_page": (f"/units/{facts.big_city}/", {}),
        "unit_page_wide": (f"/units/{facts.wide_township}/", {}),
        "unit_page_summary": (f"/units/{facts.big_city}/?tab=summary", {}),
        "unit_page_history": (f"/units/{facts.big_city}/?tab=history", {}),
    }
    results = {}
    with override_settings(ROOT_URLCONF="bench.tree_pages"):
        baseline = _median_ms(client, "/bench-minimal/", args.repeats)
        for name, (url, extra) in pages.items():
            results[name] = _median_ms(client, url, args.repeats, **extra)
    print(f"# tree of {facts.total} units; {args.repeats} requests per page")
    print(f"figure minimal_view_median {baseline:.2f} ms")
    for name, ms in results.items():
        print(f"figure {name}_median {ms:.1f} ms")
        print(f"figure {name}_vs_minimal {ms / baseline:.1f} x")
    for name in ("tree_page", "children_fragment", "search_code", "search_name", "unit_page"):
        ratio = results[name] / BUDGET_MS
        print(
            f"target {name}_median ratio={ratio:.2f} goal=1.0 {'ok' if ratio <= 1.0 else 'short'}"
        )
    if args.drop:
        connection.close()
        drop_database()


if __name__ == "__main__":
    main()
