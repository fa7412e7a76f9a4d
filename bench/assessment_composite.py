"""The composite of a grading over a large round, against hand-written SQL, and the 同台比武
ranking page over a 10,000-unit subtree.

Builds (once) a dedicated PostgreSQL database with one province and:

- a 2026 round with 3,000 reporting counties heard in 30 sessions of 100; each session's
  closed ballot round has 100 ballots (two voter categories) rating its 100 reporters —
  300,000 ratings in all; a published indicator set with 20 manual items scored for every
  county (60,000 item scores), an approved bonus for one county in ten, two rectification
  problems and one published critique with a rating per county;
- a 2025 round with a confirmed grading of 10,000 counties under one city (the ranking's
  subtree).

Then it times:

- ``composite_all``: what computing suggestions reads and derives — the components of all 3,000
  reporters (ballots by category-weighted score, annual score, critique rating, rectification,
  adjustments) and their composites, suggestions, cap and ranks — against one hand-written SQL
  statement returning the same grouped facts (ratings per reporter × category × grade, score
  sums, adjustment sums, problem counts, critique ratings) from the same tables;
- ``ranking_page``: the median server time of the ranking page for the 10,000-unit subtree
  (ordered by composite and by a component), through the whole view (test client).

    python -m bench.assessment_composite [--fresh] [--drop] [--repeats N]
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
DB_NAME = "shuzhi_bench_composite"
REPORTERS, SESSIONS, VOTERS, ITEMS = 3_000, 30, 100, 20
SUBTREE = 10_000
GOAL_RATIO, GOAL_PAGE_MS = 3.0, 100.0

FORMULA = [
    {"code": "annual_score", "weight": "0.3", "method": "items_only"},
    {"code": "ballot_score", "weight": "0.4", "method": "category_weighted"},
    {"code": "critique_rating", "weight": "0.1"},
    {"code": "rectification", "weight": "0.1"},
    {"code": "adjustments", "weight": "0.1"},
]
THRESHOLDS = [
    {"grade": "good", "min": "90"},
    {"grade": "fair_good", "min": "80"},
    {"grade": "average", "min": "60"},
    {"grade": "poor", "min": "0"},
]

# The same facts the product reads, grouped in SQL; only the arithmetic is left to Python.
FACTS_SQL = """
WITH rounds AS MATERIALIZED (
  SELECT br.id FROM ballots_ballotround br JOIN meetings_session s ON s.id = br.session_id
  WHERE s.round_id = %(round)s AND NOT br.is_test AND br.status IN ('closed', 'published')
), ratings AS MATERIALIZED (
  SELECT sr.reporter_id, e.category, e.grade, COUNT(*) AS n
  FROM ballots_ballotentry e JOIN meetings_sessionreporter sr ON sr.id = e.reporter_id
  WHERE e.round_id IN (SELECT id FROM rounds) AND e.item = 'overall'
  GROUP BY 1, 2, 3
), scores AS MATERIALIZED (
  SELECT a.unit_id, SUM(LEAST(GREATEST(s.host_points, 0), i.max_points)) AS points
  FROM assessment_annualscore a
  JOIN assessment_itemscore s ON s.annual_id = a.id
  JOIN assessment_indicatoritem i ON i.id = s.item_id
  WHERE a.set_id = %(set)s AND i.source = 'manual' GROUP BY a.unit_id
), adj AS MATERIALIZED (
  SELECT a.unit_id, SUM(j.points) FILTER (WHERE j.kind = 'bonus') AS bonus,
    SUM(j.points) FILTER (WHERE j.kind = 'deduction') AS deduction
  FROM assessment_adjustment j JOIN assessment_annualscore a ON a.id = j.annual_id
  WHERE a.set_id = %(set)s AND j.status = 'approved' GROUP BY a.unit_id
), prob AS MATERIALIZED (
  SELECT unit_id, COUNT(*) AS total, COUNT(*) FILTER (WHERE status = 'closed') AS closed,
    COUNT(*) FILTER (WHERE status IN ('open', 'in_progress') AND deadline < %(today)s) AS overdue
  FROM rectification_problem WHERE year = %(year)s GROUP BY unit_id
), crit AS MATERIALIZED (
  SELECT c.reporter_id, array_agg(c.rating ORDER BY c.created_at, c.id) AS ratings
  FROM reports_critique c JOIN cycles_roundreporter r ON r.id = c.reporter_id
  WHERE r.round_id = %(round)s AND c.published AND c.rating <> '' GROUP BY 1
), ballots AS MATERIALIZED (
  SELECT reporter_id, json_agg(json_build_array(category, grade, n)) AS counts
  FROM ratings GROUP BY reporter_id
)
SELECT r.id, r.unit_id, s.points, j.bonus, j.deduction, p.total, p.closed, p.overdue,
  c.ratings, b.counts
FROM cycles_roundreporter r
LEFT JOIN ballots b ON b.reporter_id = r.id
LEFT JOIN scores s ON s.unit_id = r.unit_id
LEFT JOIN adj j ON j.unit_id = r.unit_id
LEFT JOIN prob p ON p.unit_id = r.unit_id
LEFT JOIN crit c ON c.reporter_id = r.id
WHERE r.round_id = %(round)s
ORDER BY r.sort_order, r.id
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


def _units(parent, prefix: str, count: int, type_code: str):
    from shuzhi.core.testing import unit_type
    from shuzhi.orgs.tree.models import Unit, child_path

    kind = unit_type(type_code)
    units = Unit.objects.bulk_create(
        (
            Unit(
                code=f"{prefix}{n:05d}",
                name=f"{prefix}县{n}",
                type=kind,
                parent=parent,
                path=f"~{prefix}{n}",
                depth=parent.depth + 1,
            )
            for n in range(count)
        ),
        batch_size=5000,
    )
    for unit in units:
        unit.path = child_path(parent.path, unit.pk)
    Unit.objects.bulk_update(units, ["path"], batch_size=5000)
    return units


def build() -> None:
    """Create the database and its data (bulk inserts; the product's services for the set)."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shuzhi.assessment.grading.models import GradeRow, Grading, GradingStatus
    from shuzhi.assessment.indicators import services as svc
    from shuzhi.assessment.indicators.models import Adjustment, AnnualScore, ItemScore
    from shuzhi.ballots.models import Ballot, BallotRound
    from shuzhi.core.testing import make_unit, unit_type
    from shuzhi.cycles import policy
    from shuzhi.cycles.models import Round, RoundReporter
    from shuzhi.meetings.models import Session, SessionReporter
    from shuzhi.rectification.models import Problem, ProblemSource
    from shuzhi.reports.critiques.models import Critique

    root = get_user_model().objects.create_superuser("bench", password="pw-bench")
    other = get_user_model().objects.create_superuser("bench2", password="pw-bench")
    province = make_unit("C000", "基准省委", "province")
    counties = _units(province, "C", REPORTERS, "county")
    categories = [
        {"code": "leaders", "label": "领导班子成员", "weight": "0.6"},
        {"code": "public", "label": "党员群众代表", "weight": "0.4"},
    ]
    rnd = Round.objects.create(
        host=province, year=2026, title="2026年度基准述职评议", categories=categories, min_ballots=5
    )
    reporters = RoundReporter.objects.bulk_create(
        RoundReporter(round=rnd, unit=u, sort_order=n) for n, u in enumerate(counties)
    )
    grades = ["good", "fair_good", "average", "poor"]
    per_session = REPORTERS // SESSIONS
    now = datetime.datetime(2026, 12, 20, 12, tzinfo=datetime.UTC)
    for k in range(SESSIONS):
        session = Session.objects.create(
            round=rnd, title=f"第{k + 1}场述职评议会", date=datetime.date(2026, 12, 20)
        )
        group = reporters[k * per_session : (k + 1) * per_session]
        srs = SessionReporter.objects.bulk_create(
            SessionReporter(session=session, reporter=r, position=i + 1)
            for i, r in enumerate(group)
        )
        br = BallotRound.objects.create(
            session=session,
            number=1,
            status="closed",
            closed_at=now,
            reporters=[{"id": sr.pk} for sr in srs],
            policy={
                "scale": policy.default_scale(),
                "categories": categories,
                "sub_items": [],
                "min_ballots": 5,
                "quotas": {},
            },
        )
        Ballot.objects.bulk_create(
            (
                Ballot.from_rows(
                    round_id=br.pk,
                    category="leaders" if v % 3 == 0 else "public",
                    rows=[(sr.pk, "overall", grades[(sr.pk * 7 + v) % 11 % 4]) for sr in srs],
                )
                for v in range(VOTERS)
            ),
            batch_size=50,
        )
    s = svc.create_set(actor=root, host=province, year=2026, assessed_type=unit_type("county"))
    items = [
        svc.add_item(
            actor=root, indicator_set=s, code=f"M{n:02d}", name=f"基准指标{n}", max_points=5
        )
        for n in range(ITEMS)
    ]
    s = svc.publish_set(actor=root, indicator_set=s)
    annuals = AnnualScore.objects.bulk_create(AnnualScore(set=s, unit=u) for u in counties)
    ItemScore.objects.bulk_create(
        (
            ItemScore(annual=a, item=i, host_points=Decimal(3 + (a.unit_id + i.pk) % 3))
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
            for u in counties
            for k in range(2)
        ),
        batch_size=5000,
    )
    Critique.objects.bulk_create(
        Critique(reporter=r, text="基准点评", rating=grades[r.pk % 3], published=True)
        for r in reporters
    )
    # The ranking's subtree: a confirmed 2025 grading of 10,000 counties under one city.
    city = make_unit("D000", "基准市委", "city", province)
    towns = _units(city, "D", SUBTREE, "county")
    old = Round.objects.create(host=province, year=2025, title="2025年度基准述职评议")
    old_reporters = RoundReporter.objects.bulk_create(
        (RoundReporter(round=old, unit=u, sort_order=n) for n, u in enumerate(towns)),
        batch_size=5000,
    )
    grading = Grading.objects.create(
        round=old,
        formula=FORMULA,
        thresholds=THRESHOLDS,
        status=GradingStatus.CONFIRMED,
        locked_at=now,
        confirmed_by=root,
    )

    def comp(n: int) -> dict:
        return {
            e["code"]: {"value": f"{50 + (n * (i + 3)) % 50}.{n % 100:02d}", "derivation": ""}
            for i, e in enumerate(FORMULA)
        }

    GradeRow.objects.bulk_create(
        (
            GradeRow(
                grading=grading,
                reporter=r,
                composite=Decimal(f"{50 + n % 50}.{n % 97:02d}"),
                components=comp(n),
                suggested=grades[n % 4],
                final=grades[n % 4],
                rank=n + 1,
                decided_at=now,
            )
            for n, r in enumerate(old_reporters)
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
    else:  # a kept database may predate the latest migrations
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    import datetime

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from shuzhi.assessment.grading import composite
    from shuzhi.assessment.grading import selectors as grading_selectors
    from shuzhi.core import clock
    from shuzhi.cycles.models import Round
    from shuzhi.orgs.tree.models import Unit

    with connection.cursor() as cursor:  # fresh bulk loads have no statistics yet
        cursor.execute("ANALYZE")
    today = datetime.date(2026, 11, 1)
    clock.today = lambda: today  # the same "today" as the SQL below
    rnd = Round.objects.select_related("host").get(year=2026)
    formula = composite.parse(FORMULA, THRESHOLDS, {"good_cap_share": "0.3"}, rnd.scale, REPORTERS)
    from shuzhi.assessment.indicators.models import IndicatorSet

    params = {
        "round": rnd.pk,
        "set": IndicatorSet.objects.get(year=2026).pk,
        "today": today,
        "year": rnd.year,
    }

    def product():
        facts = grading_selectors.gather(rnd, formula)
        results = {}
        for f in facts:
            result = composite.composite(formula, f.values)
            results[f.reporter.pk] = (
                result.value,
                composite.suggest(formula, result, rnd.scale, ballots=f.ballots).grade,
            )
        composite.apply_cap(formula, results, rnd.scale, len(facts))
        composite.rank({k: v for k, (v, _g) in results.items()})
        return facts

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(FACTS_SQL, params)
            return cursor.fetchall()

    facts, rows = product(), baseline()
    casts = [f.ballots for f in facts]
    sql_casts = [sum(n for _c, g, n in (row[9] or []) if g) for row in rows]
    if casts != sql_casts or len(facts) != REPORTERS:
        print("ballot counts differ between the product and the SQL baseline", file=sys.stderr)
        return 1
    with CaptureQueriesContext(connection) as ctx:
        product()
    # Interleaved, so both sides see the same load on a shared machine; the ratio is the
    # median of the per-pair ratios.
    pairs = []
    for _ in range(args.repeats):
        pairs.append((_median(product, 1), _median(baseline, 1)))
    t_product = statistics.median(p for p, _s in pairs)
    t_sql = statistics.median(s for _p, s in pairs)
    ratio = statistics.median(p / s for p, s in pairs)
    print(f"figure composite_reporters {len(facts)} reporters")
    print(f"figure composite_ratings {sum(casts)} ratings")
    print(f"figure composite_queries {len(ctx.captured_queries)} queries")
    print(f"figure composite_product {t_product * 1000:.1f} ms")
    print(f"figure composite_sql {t_sql * 1000:.1f} ms")

    city = Unit.objects.get(code="D000")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    url = reverse("grading_ranking")
    orders = ("composite", "ballot_score", "grade")
    queries: dict[str, dict[str, str | int]] = {
        o: {"unit": city.pk, "order": o, "page": 3} for o in orders
    }
    for query in queries.values():
        response = client.get(url, query)
        assert response.status_code == 200, response.status_code
    # Interleaved, so the three orders see the same load.
    times: dict[str, list[float]] = {o: [] for o in orders}
    for _ in range(args.repeats * 4):
        for order, query in queries.items():
            times[order].append(_median(lambda q=query: client.get(url, q), 1))
    medians = {o: statistics.median(t) for o, t in times.items()}
    for order in orders:
        print(f"figure ranking_{order}_median {medians[order] * 1000:.1f} ms")
    t_page = max(medians.values())
    print(
        f"target composite_all ratio={ratio:.2f} goal={GOAL_RATIO} "
        f"{'ok' if ratio <= GOAL_RATIO else 'short'}"
    )
    print(
        f"target ranking_page ratio={t_page * 1000:.1f} goal={GOAL_PAGE_MS} "
        f"{'ok' if t_page * 1000 <= GOAL_PAGE_MS else 'short'}"
    )
    if args.drop:
        connection.close()
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
