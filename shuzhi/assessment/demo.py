"""Demo data for 考核与评定: the demo province (江岭省) grades its cities for 2025.

``seed_assessment_demo`` picks up where the rounds and ledger demos stop. Their 2025 session was
held and closed, the province secretary critiqued every city, and the ledger holds a year of
problems. This module adds what the committee needs to grade the year, so a newcomer can take
the session from ballots to confirmed grades, a circular and the follow-up talks:

- the ballots of the 2025 session were cast on the phones during the meeting
  (``shuzhi.demo.voting``, with :func:`voter_standing` and :func:`voter_grade` below deciding
  how voters rate each city); the attendance of each voter category is the session's 实到;
- the province's 2025 indicator set for cities (ten outcome items, 100 points), published after
  the governance checks; a county set of the province and the first city's derived county set
  (two items dropped, two tightened), to show derivation;
- the province's scores of every city on every item, and two 加减分 requested by the
  organiser and approved by someone else (four eyes);
- the consequences table of the province (the defaults stored, 一般 talked to within 20 days);
- the grading of the 2025 round: 年度党建考核 0.4, 民主测评 (category-weighted) 0.3,
  点评等次 0.1, 整改成效 0.2; thresholds 78 / 72 / 61 (set so the demo's year spreads over
  all four grades); suggestions computed; one city marked
  with a disqualifier (a serious accountability case) so 好 is withheld from it. The grades are
  left unconfirmed: confirming them is the newcomer's step.

Every write goes through the services, acting as the demo organiser (the adjustments are
approved by the superuser), so the audit trail is the real one. Random draws use fixed seeds,
so the demo is the same on every machine; it does nothing when the 2025 round already has a
grading.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from shuzhi.assessment.grading import services as grading_services
from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.indicators import services
from shuzhi.assessment.indicators.models import AdjustmentKind, IndicatorSet
from shuzhi.assessment.results import services as results_services
from shuzhi.ballots.models import Ballot, BallotRoundStatus
from shuzhi.core import clock
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.orgs.demo import PROVINCE_CODE
from shuzhi.orgs.tree.models import Unit, UnitType

YEAR = 2025
SEED = "jiangling-2025-assessment"
VOTING_DAY = datetime.date(YEAR, 12, 22)
SCORING_DAY = datetime.date(YEAR + 1, 1, 15)

# (code, name, points, scoring guide) — results a province can check, no 留痕 items.
CITY_ITEMS = [
    (
        "A01",
        "基层党组织标准化规范化建设达标率",
        "12",
        "按达标党组织占比计分，达标率95%以上得满分，每低1个百分点扣0.5分。",
    ),
    (
        "A02",
        "软弱涣散基层党组织整顿转化成效",
        "12",
        "按期转化率100%得满分；未按期转化的，每个扣2分；出现反弹的，每个扣3分。",
    ),
    (
        "A03",
        "村级集体经济发展壮大成效",
        "10",
        "年经营性收入10万元以上村占比达到全省平均水平得6分，每高出5个百分点加1分。",
    ),
    (
        "A04",
        "党员队伍结构优化和作用发挥",
        "10",
        "按35岁以下、大专以上学历新党员占比和党员示范岗群众认可度综合评定。",
    ),
    (
        "A05",
        "村（社区）党组织书记队伍整体素质",
        "10",
        "按书记中致富能手、退役军人、大学毕业生占比和年度考核优秀率评定。",
    ),
    (
        "A06",
        "党建引领基层治理成效",
        "12",
        "按群众诉求按期办结率、矛盾纠纷就地化解率和治安案件下降幅度评定。",
    ),
    (
        "A07",
        "新兴领域党组织覆盖率",
        "8",
        "规模以上非公企业、社会组织和新就业群体党组织覆盖率达90%以上得满分。",
    ),
    (
        "A08",
        "群众对基层党组织服务满意度",
        "10",
        "按第三方入户调查满意度计分，满意度90%以上得满分，每低1个百分点扣0.5分。",
    ),
    (
        "A09",
        "为基层减负赋能成效",
        "8",
        "按村级组织工作事项清单落实、挂牌清理和考核事项压减情况评定。",
    ),
    (
        "A10",
        "基层组织运转经费和报酬待遇保障到位率",
        "8",
        "村级组织运转经费和村干部基本报酬足额落实得满分，每有1个县未落实扣2分。",
    ),
]
# The province's county set takes six of the city items with smaller points.
COUNTY_ITEMS = [("A01", "15"), ("A02", "15"), ("A03", "15"), ("A06", "20"), ("A08", "20")]
COUNTY_EXTRA = (
    "B01",
    "村级组织阵地建设和服务群众成效",
    "15",
    "按村级综合服务设施达标率和群众办事不出村比例评定。",
)
# What the first city keeps of the province's county set (code -> points; None = as given).
CITY_KEEPS = {"A01": "12", "A02": None, "A06": None, "A08": "15"}

# Each city's standing, by its place in the round: how the year went for it. Ratings, annual
# scores and the grades follow it, with some noise.
STANDING = [0.96, 0.92, 0.9, 0.88, 0.85, 0.83, 0.8, 0.78, 0.74, 0.7, 0.66, 0.6, 0.5, 0.86]
ADJUSTMENTS = [
    (0, AdjustmentKind.BONUS, "2", "所辖1个村党组织获评全国先进基层党组织，按规定加分。"),
    (
        -2,
        AdjustmentKind.DEDUCTION,
        "1.5",
        "村（社区）“两委”换届中1个村出现违规拉票问题，经查属实，按规定扣分。",
    ),
]
DISQUALIFIER = {"code": "serious_accountability", "label": "本年度发生严重问责事项"}
FORMULA = [
    {"code": "annual_score", "weight": "0.4", "method": "with_adjustments"},
    {"code": "ballot_score", "weight": "0.3", "method": "category_weighted"},
    {"code": "critique_rating", "weight": "0.1", "method": "mean"},
    {"code": "rectification", "weight": "0.2", "method": "rate_minus_overdue"},
]
THRESHOLDS = [
    {"grade": "good", "min": "78"},
    {"grade": "fair_good", "min": "72"},
    {"grade": "average", "min": "61"},
    {"grade": "poor", "min": "0"},
]
HALF = Decimal("0.5")


@dataclass
class DemoResult:
    """Counts of what :func:`seed_assessment_demo` wrote."""

    ballots: int = 0
    items: int = 0
    scored: int = 0
    adjustments: int = 0
    rows: int = 0


@contextmanager
def _on(day: datetime.date, hour: int = 10) -> Iterator[None]:
    """Write as if it were ``day`` (the product's clock and ``timezone.now``), so the ballots
    and scores carry the dates of the story."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    saved = (clock.now, clock.today, timezone.now)
    setattr(clock, "now", lambda: moment)  # noqa: B010 - replacing module functions on purpose
    setattr(clock, "today", lambda: day)  # noqa: B010
    setattr(timezone, "now", lambda: moment)  # noqa: B010
    try:
        yield
    finally:
        clock.now, clock.today, timezone.now = saved  # type: ignore[assignment]


def _users():
    """The demo organiser, and another account to approve what the organiser asks for."""
    User = get_user_model()
    actor = (
        User.objects.filter(username="organiser").first()
        or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )
    others = User.objects.filter(is_superuser=True, is_active=True)
    if actor is not None:
        others = others.exclude(pk=actor.pk)
    approver = others.order_by("pk").first()
    return actor, approver


def voter_standing(position: int) -> float:
    """How well the city at ``position`` is regarded (the share of voters rating it 好)."""
    return STANDING[position % len(STANDING)]


def voter_grade(rng: random.Random, standing: float) -> str:
    """One voter's overall rating of a city of ``standing``."""
    good = max(0.0, standing - 0.12)
    fair = 0.28
    u = rng.random()
    if u < good:
        return "good"
    if u < good + fair:
        return "fair_good"
    return "average" if u < good + fair + (1 - good - fair) * 0.8 else "poor"


# The demo round's vote supervisors (监票人): names only, as the product stores them.
DEMO_SUPERVISORS = ("纪委监票人 赵敏", "组织部监票人 钱坤", "职工代表监票人 孙丽")


def _points(rng: random.Random, maximum: Decimal, standing: float) -> Decimal:
    share = min(1.0, max(0.3, standing + rng.uniform(-0.06, 0.05)))
    return min(
        maximum, (maximum * Decimal(str(share)) / HALF).quantize(Decimal("1"), ROUND_HALF_UP) * HALF
    )


def _city_set(actor, province: Unit, city_type: UnitType) -> IndicatorSet:
    indicator_set = services.create_set(
        actor=actor, host=province, year=YEAR, assessed_type=city_type
    )
    for code, name, points, guide in CITY_ITEMS:
        services.add_item(
            actor=actor,
            indicator_set=indicator_set,
            code=code,
            name=name,
            max_points=points,
            scoring_guide=guide,
        )
    return services.publish_set(actor=actor, indicator_set=indicator_set)


def _county_sets(actor, province: Unit, first_city: Unit) -> int:
    """The province's county set, and the first city's set derived from it. Items written."""
    county_type = UnitType.objects.filter(code="county").first()
    if county_type is None:
        return 0
    parent = services.create_set(actor=actor, host=province, year=YEAR, assessed_type=county_type)
    guides = {code: (name, guide) for code, name, _p, guide in CITY_ITEMS}
    for code, points in COUNTY_ITEMS:
        name, guide = guides[code]
        services.add_item(
            actor=actor,
            indicator_set=parent,
            code=code,
            name=name,
            max_points=points,
            scoring_guide=guide,
        )
    code, name, points, guide = COUNTY_EXTRA
    services.add_item(
        actor=actor,
        indicator_set=parent,
        code=code,
        name=name,
        max_points=points,
        scoring_guide=guide,
    )
    parent = services.publish_set(actor=actor, indicator_set=parent)
    items = {i.code: i.pk for i in parent.items.all()}
    derived, _skipped = services.derive_set(
        actor=actor,
        parent=parent,
        host=first_city,
        keep={items[code]: points for code, points in CITY_KEEPS.items()},
    )
    services.publish_set(actor=actor, indicator_set=derived)
    return parent.items.count() + derived.items.count()


def _scores(
    actor, approver, indicator_set: IndicatorSet, reporters: list[RoundReporter], rng
) -> tuple[int, int]:
    """The province scores every city on every item; two adjustments are asked and approved."""
    items = list(indicator_set.items.order_by("sort_order", "pk"))
    with _on(SCORING_DAY):
        for position, reporter in enumerate(reporters):
            standing = voter_standing(position)
            services.save_host_scores(
                actor=actor,
                indicator_set=indicator_set,
                unit=reporter.unit,
                entries={
                    item.pk: {"points": str(_points(rng, item.max_points, standing))}
                    for item in items
                },
            )
        approved = 0
        for position, kind, points, reason in ADJUSTMENTS:
            if not reporters:
                break
            adjustment = services.request_adjustment(
                actor=actor,
                indicator_set=indicator_set,
                unit=reporters[position].unit,
                kind=kind,
                points=points,
                reason=reason,
            )
            if approver is not None:
                services.decide_adjustment(
                    actor=approver, adjustment=adjustment, approve=True, note="经核实，同意。"
                )
                approved += 1
    return len(reporters), approved


def _grading(actor, rnd: Round) -> list[GradeRow]:
    """The grading with its formula, suggestions computed, and one disqualified city."""
    grading = grading_services.save_grading(
        actor=actor,
        round=rnd,
        formula=FORMULA,
        thresholds=THRESHOLDS,
        policies={"disqualifiers": [DISQUALIFIER], "min_ballots_for_grade": 1},
    )
    rows = grading_services.compute_suggestions(actor=actor, grading=grading)
    best = rnd.scale[0]["code"] if rnd.scale else "good"
    goods = sorted((r for r in rows if r.suggested == best), key=lambda r: (r.rank or 0, r.pk))
    if goods:
        row = goods[-1]
        # A disqualifier lowers the suggestion to the next grade; the committee agrees.
        grading_services.decide_grade(
            actor=actor,
            row=row,
            final=rnd.scale[1]["code"],
            reason="本年度发生严重问责事项，按规定不得评为“好”。",
            disqualifiers=[DISQUALIFIER["code"]],
        )
    return list(GradeRow.objects.filter(grading=grading, is_current=True))


@transaction.atomic
def seed_assessment_demo(stdout=None) -> DemoResult | None:
    """Seed the 2025 assessment of the demo province (skipped if its grading exists)."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    rnd = Round.objects.filter(host=province, year=YEAR).first() if province else None
    if rnd is None or Grading.objects.filter(round=rnd).exists():
        if stdout is not None:
            stdout.write("演示考核评定已存在或没有上年度述职评议，跳过。")
        return None
    actor, approver = _users()
    city_type = UnitType.objects.filter(code="city").first()
    if actor is None or city_type is None or province is None:
        return None
    rng = random.Random(SEED)
    result = DemoResult()
    # The ballots were cast on the phones during the meeting (shuzhi.demo.voting).
    result.ballots = Ballot.objects.filter(
        round__session__round=rnd,
        round__is_test=False,
        round__status__in=(BallotRoundStatus.CLOSED, BallotRoundStatus.PUBLISHED),
    ).count()
    reporters = list(rnd.reporters.select_related("unit").order_by("sort_order", "pk"))
    if not IndicatorSet.objects.filter(host=province, year=YEAR, assessed_type=city_type).exists():
        city_set = _city_set(actor, province, city_type)
        result.items = city_set.items.count()
        if reporters:
            result.items += _county_sets(actor, province, reporters[0].unit)
        result.scored, result.adjustments = _scores(actor, approver, city_set, reporters, rng)
    results_services.save_rule(actor=actor, host=province, grade="average", talk_within_days=20)
    rows = _grading(actor, rnd)
    result.rows = len(rows)
    if stdout is not None:
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.suggested] = counts.get(row.suggested, 0) + 1
        labels = {s["code"]: s["label"] for s in rnd.scale}
        spread = "，".join(f"{labels.get(k, k)} {n}" for k, n in counts.items())
        stdout.write(
            f"已载入演示考核评定：{rnd.year} 年度投票 {result.ballots} 张，指标 {result.items} 项，"
            f"评分 {result.scored} 个单位，加减分 {result.adjustments} 项，"
            f"建议等次 {result.rows} 个（{spread}），待确定。"
        )
    return result
