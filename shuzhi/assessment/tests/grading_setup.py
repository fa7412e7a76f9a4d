"""A finished session for the grading tests: the province hears 广州市委, 深圳市委 and 荔湾区委,
ten ballots were cast and the ballot round is closed.

Overall ratings (5 领导班子成员 + 5 党员群众代表 ballots):

| reporter  | 好 | 较好 | 一般 | 好评率 |
|-----------|----|------|------|--------|
| 广州市委  | 10 | 0    | 0    | 100%   |
| 深圳市委  | 9  | 1    | 0    | 90%    |
| 荔湾区委  | 5  | 0    | 5    | 50%    |

None has rectification items, so 整改成效 is 100 for all; with the formula
0.8 × 好评率 + 0.2 × 整改成效 the composites are 100, 92 and 60.
"""

from __future__ import annotations

from django.utils import timezone

from shuzhi.ballots.models import BallotRoundStatus
from shuzhi.ballots.tests import tally_setup

FORMULA = [
    {"code": "ballot_score", "weight": "0.8", "method": "good_rate"},
    {"code": "rectification", "weight": "0.2"},
]
THRESHOLDS = [
    {"grade": "good", "min": "90"},
    {"grade": "fair_good", "min": "80"},
    {"grade": "average", "min": "60"},
    {"grade": "poor", "min": "0"},
]


def finished_session(world) -> tally_setup.Setup:
    setup = tally_setup.make_setup(world, min_ballots=1)
    a, b, c = (r.pk for r in setup.reporters)
    for i in range(10):
        category = "leaders" if i < 5 else "public"
        tally_setup.cast(
            setup.ballot_round,
            category,
            {a: "good", b: "good" if i < 9 else "fair_good", c: "good" if i % 2 else "average"},
        )
    setup.ballot_round.status = BallotRoundStatus.CLOSED
    setup.ballot_round.closed_at = timezone.now()
    setup.ballot_round.save(update_fields=["status", "closed_at"])
    return setup


def many_rows(grading, n: int) -> None:
    """``n`` more reporters of the grading's round, each with a computed row cloned from the
    first one (bulk inserts: for pages of hundreds of rows, not for their numbers)."""
    from shuzhi.assessment.grading.models import GradeRow
    from shuzhi.core.testing import unit_type
    from shuzhi.cycles.models import RoundReporter
    from shuzhi.orgs.tree.models import Unit, child_path

    model = grading.rows.filter(is_current=True).order_by("pk").first()
    host = grading.round.host
    county = unit_type("county")
    units = Unit.objects.bulk_create(
        Unit(
            code=f"T{k:05d}",
            name=f"测试县{k:03d}县委",
            type=county,
            parent=host,
            path=f"~t{k}",
            depth=host.depth + 1,
        )
        for k in range(n)
    )
    for unit in units:
        unit.path = child_path(host.path, unit.pk)
    Unit.objects.bulk_update(units, ["path"], batch_size=500)
    reporters = RoundReporter.objects.bulk_create(
        RoundReporter(round=grading.round, unit=unit, sort_order=1000 + k)
        for k, unit in enumerate(units)
    )
    GradeRow.objects.bulk_create(
        GradeRow(
            grading=grading,
            reporter=reporter,
            composite=model.composite,
            components=model.components,
            derivation=model.derivation,
            suggested=model.suggested,
            final=model.final,
            rank=10 + k,
        )
        for k, reporter in enumerate(reporters)
    )
