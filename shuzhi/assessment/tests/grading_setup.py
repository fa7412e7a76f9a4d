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
