"""Test data for 结果运用: a province round with four reporters and confirmed grades.

The grades are written as rows of a confirmed grading (what grading's confirmation leaves
behind), one per grade of the default scale: 广州 好, 深圳 较好, 荔湾 一般, 罗湖 差. The
province's secretary has an account (``sam``), so a 书记约谈 has a holder who can sign in; the
secretary of 荔湾 is linked to ``dave``'s account and that of 罗湖 to ``bob``'s, so they are
told about their talks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from shuzhi.accounts.models import Role
from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.core import clock
from shuzhi.core.testing import make_user
from shuzhi.cycles import services as cycle_services
from shuzhi.cycles.models import Round
from shuzhi.orgs.people.models import Person, Post, PostRole

GRADES = {"440100": "good", "440300": "fair_good", "440103": "average", "440303": "poor"}
COMPOSITES = {"440100": "93.50", "440300": "85.00", "440103": "71.20", "440303": "55.00"}


@dataclass
class ResultsWorld:
    round: Round
    grading: Grading
    rows: dict[str, GradeRow]
    sam: object


def _secretary(unit, name: str, user=None) -> Person:
    person = Person.objects.create(name=name, unit=unit)
    Post.objects.create(
        person=person, unit=unit, role=PostRole.SECRETARY, start_date=datetime.date(2020, 1, 1)
    )
    if user is not None:
        user.person = person
        user.save(update_fields=["person"])
    return person


def build(world, *, year: int = 2026, status: str = "confirmed") -> ResultsWorld:
    """The round, its grading (confirmed, or ``suggested`` for grading's own confirmation to
    run) and one current row per reporter."""
    sam = make_user("sam", (Role.SECRETARY, world.province), full_name="孙书记")
    _secretary(world.province, "孙省委书记", sam)
    _secretary(world.city_a, "李广州")
    _secretary(world.city_b, "周深圳")
    _secretary(world.county_a1, "吴荔湾", world.dave)
    _secretary(world.county_b1, "郑罗湖", world.bob)
    round_ = cycle_services.create_round(actor=world.alice, host=world.province, year=year)
    cycle_services.add_reporters_by_codes(actor=world.alice, round=round_, codes=list(GRADES))
    grading = Grading.objects.create(
        round=round_,
        formula=[{"code": "annual_score", "weight": "1"}],
        thresholds=[{"grade": "good", "min": "90"}],
        status=status,
        locked_at=clock.now() if status == "confirmed" else None,
        confirmed_by=world.alice if status == "confirmed" else None,
    )
    rows = {}
    for rank, reporter in enumerate(
        round_.reporters.select_related("unit").order_by("sort_order"), start=1
    ):
        code = reporter.unit.code
        rows[code] = GradeRow.objects.create(
            grading=grading,
            reporter=reporter,
            composite=Decimal(COMPOSITES[code]),
            suggested=GRADES[code],
            final=GRADES[code],
            opinion=f"{reporter.unit.name}抓基层党建工作评价意见。",
            rank=rank,
            decided_by=world.alice if status == "confirmed" else None,
            decided_at=clock.now() if status == "confirmed" else None,
        )
    return ResultsWorld(round=round_, grading=grading, rows=rows, sam=sam)


def correct(row: GradeRow, final: str, reason: str = "复核更正") -> GradeRow:
    """What grading's correction leaves behind: a new current row, the old one superseded."""
    row.is_current = False
    row.save(update_fields=["is_current"])
    new = GradeRow.objects.create(
        grading=row.grading,
        reporter=row.reporter,
        composite=row.composite,
        suggested=row.suggested,
        final=final,
        reason=reason,
        opinion=row.opinion,
        rank=row.rank,
        decided_at=clock.now(),
    )
    row.superseded_by = new
    row.save(update_fields=["superseded_by"])
    return new
