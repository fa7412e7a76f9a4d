"""A year of rectification history for the demo province (江岭省), so a newcomer sees a living
ledger: problems from every source in every state, some overdue, with progress notes, evidence,
verdicts, critiques, a rectification plan, last year's items carried over, and reports.

``seed_ledger_demo`` replays the year from March 2025 to late November 2026 in order:

- 2025: inspectors and the organisation department record problems in every city and a few
  counties of the first three cities (巡视, 巡察, 督查, 调研, 暗访, 信访, 民主评议, 自查), drawn
  as a real year is (:mod:`shuzhi.demo.spread`): 0–15 items per unit, some units with none,
  mostly 一般, each unit as diligent as it is — items closed on time or late, sent back after
  verification, submitted, long-term (持续整改) or left past their deadline, so 整改成效 differs
  by unit;
- December 2025: every city's secretary writes their report and the province accepts it; the
  province secretary critiques each city and names problems (上级点评 items, linked back);
- January 2026: the first city's rectification plan is approved (its measures written onto the
  named problems), the second city's is returned; the year rolls over and every item not closed
  is carried into 2026 as 上年度遗留 with its history;
- 2026: new problems are drawn the same way (with last year's leftovers, still at most 15 per
  unit) — some closed, some awaiting verification, some sent back, some started and some never
  started past their deadline (逾期), some due in early December; the
  daily reminder job runs a few times along the way (inbox messages, escalations, worker runs);
- November 2026: the cities write their 2026 reports answering last year's items — drafts,
  submissions, praise-only reports returned with comments, one resubmitted.

Every write goes through the services of the three lists, reports, critiques and plans, acting
as the person who would make it, so the audit trail and the state machines are the real ones.
To make the history read like a year, the product's clock (``shuzhi.core.clock``) and Django's
``timezone.now`` are moved to each event's day while it is written: transitions, notes, reports
and audit entries carry the dates the story gives them. Dates are fixed, so the demo is the
same whenever it is loaded; it does nothing when the province already has problems.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from shuzhi.core import clock
from shuzhi.cycles.models import Round
from shuzhi.demo import spread
from shuzhi.orgs.demo import PROVINCE_CODE
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import services
from shuzhi.rectification.models import Problem, ProblemStatus, ResponsibilityKind, Severity
from shuzhi.rectification.reminders import run_reminders
from shuzhi.reports import demo as report_demo

SEED = 2025
Y1, Y2 = 2025, 2026
# Counties with a ledger of their own, in the first cities (their secretaries report to them).
COUNTIES_PER_CITY = (3, 2, 2)
# The province secretary's critique of a city names two problems (reports.demo.critique_all).
CRITIQUE_ITEMS = 2

# (source code, description, measures) — what inspections typically find.
FINDINGS = [
    (
        "xunshi",
        "落实全面从严治党主体责任有差距，班子成员“一岗双责”履行不到位，对分管领域党建工作过问少。",
        "制定班子成员履行“一岗双责”清单，每半年专题报告一次分管领域党建工作，纳入年度考核。",
    ),
    (
        "xuncha",
        "基层党组织“三会一课”制度执行不严格，抽查的支部中有部分会议记录缺失、内容空泛。",
        "开展“三会一课”专项检查，逐支部补齐记录，建立组织生活纪实台账，每季度抽查通报。",
    ),
    (
        "supervision",
        "软弱涣散村党组织整顿进度滞后，2个村未按期完成转化，驻村第一书记在岗时间不足。",
        "实行县级领导包村整顿，调整不胜任的村党组织书记，落实第一书记考勤和召回制度。",
    ),
    (
        "research",
        "村级集体经济薄弱，年经营性收入低于10万元的村占比偏高，部分村存在负债。",
        "一村一策制定集体经济发展方案，盘活闲置资产资源，清理化解村级债务。",
    ),
    (
        "unannounced",
        "便民服务中心窗口工作人员脱岗，群众办事等候时间长，党员示范岗流于形式。",
        "完善窗口考勤和群众评价制度，推行党员干部轮流值班，开展作风问题专项整治。",
    ),
    (
        "petition",
        "群众反映村务公开不及时、低保评定程序不透明，村务监督委员会作用发挥不够。",
        "规范村务公开栏目和时限，低保评定全程公示，培训村务监督委员会成员。",
    ),
    (
        "ballot",
        "民主评议中“抓基层党建工作成效”一项评价偏低，群众对党员联系服务群众满意度不高。",
        "开展党员联系户全覆盖，建立群众诉求办理台账，评议结果运用于党员积分管理。",
    ),
    (
        "self",
        "发展党员工作程序不规范，个别支部入党积极分子培养考察材料不完整、公示不到位。",
        "对近三年发展党员档案全面复查，补正程序瑕疵，实行发展党员全程纪实和县级预审。",
    ),
]
NOTES = [
    "已召开专题会议研究部署，制定整改方案，明确责任分工和时间节点。",
    "已完成全面排查，建立问题台账，正在逐项整改。",
    "主要整改任务已完成过半，对进度滞后的单位进行了督办。",
    "已完成制度修订并印发执行，正在开展整改情况复查。",
]
VERDICTS = [
    "经现场核查和查阅资料，整改措施落实到位，佐证材料齐全，同意销号。",
    "经抽查复核，问题已整改完毕，长效机制已建立，同意销号。",
]
LONG_TERM_REASON = "该问题需跨年度持续推进，已完成阶段性任务，列为持续整改并按季度报告进展。"
SEND_BACK_REASON = "佐证材料不能证明问题已整改到位，请补充现场复查记录后再提请验收。"
DEPARTMENTS = ["组织部", "组织部组织二科", "党建办", "农业农村局", "政务服务中心"]
KINDS = list(ResponsibilityKind.values)


@dataclass
class DemoResult:
    """Counts of what :func:`seed_ledger_demo` wrote."""

    problems: int = 0
    carried: int = 0
    critiques: int = 0
    reports: dict[str, int] = field(default_factory=dict)
    overdue: int = 0


@contextmanager
def _on(day: datetime.date, hour: int = 10) -> Iterator[None]:
    """Write as if it were ``day``: the product's clock and Django's ``timezone.now`` (used by
    ``auto_now`` fields and the audit trail) both answer that day at ``hour`` o'clock."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    saved = (clock.now, clock.today, timezone.now)
    setattr(clock, "now", lambda: moment)  # noqa: B010 - replacing module functions on purpose
    setattr(clock, "today", lambda: day)  # noqa: B010
    setattr(timezone, "now", lambda: moment)  # noqa: B010
    try:
        yield
    finally:
        setattr(clock, "now", saved[0])  # noqa: B010
        setattr(clock, "today", saved[1])  # noqa: B010
        setattr(timezone, "now", saved[2])  # noqa: B010


def _pdf(text: str) -> bytes:
    """A minimal valid one-page PDF (the evidence files of the demo)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


class _Cast:
    """Who acts in the story, and the people each unit's items are assigned to."""

    def __init__(self, province: Unit, units: list[Unit], accounts: dict) -> None:
        User = get_user_model()
        users = {u.username: u for u in User.objects.filter(is_active=True)}
        fallback = users.get("admin") or User.objects.filter(is_superuser=True).first()
        self.organiser = users.get("organiser") or fallback
        self.inspector = users.get("inspector")
        self.city_organiser = users.get("city_organiser")
        self.province = province
        self.accounts = accounts
        self.by_person = {getattr(u, "person_id", None): u for u in users.values()}
        self.by_person.update(accounts)
        posts = Post.objects.filter(
            unit__in=units,
            end_date__isnull=True,
            role__in=[PostRole.SECRETARY, PostRole.DEPUTY_SECRETARY],
        ).select_related("person")
        self.secretary: dict[int, Person] = {}
        self.deputy: dict[int, Person] = {}
        for post in posts.order_by("start_date", "pk"):
            target = self.secretary if post.role == PostRole.SECRETARY else self.deputy
            target[post.unit_id] = post.person
        self.inspector_path = ""
        if self.inspector is not None:
            grant = self.inspector.grants.select_related("unit").first()
            self.inspector_path = grant.unit.path if grant else ""
        self.city_of: dict[int, Unit] = {}
        self.idle: set[int] = set()
        self.zeal: dict[int, float] = {}

    def signs_in(self, unit: Unit) -> bool:
        """Does the unit's secretary have a demo sign-in (so the ledger gives them work)?"""
        own = self.secretary.get(unit.pk)
        return own is not None and own.pk in self.by_person

    def recorder(self, unit: Unit):
        """The inspector records in their city; the organisation department elsewhere."""
        if (
            self.inspector is not None
            and self.inspector_path
            and unit.path.startswith(self.inspector_path)
        ):
            return self.inspector
        return self.organiser

    def verifier(self, unit: Unit):
        return self.recorder(unit)

    def rectifier(self, unit: Unit):
        """The unit's secretary through their account, else the city secretary's, else the
        organisation department."""
        own = self.secretary.get(unit.pk)
        if own is not None and own.pk in self.by_person:
            return self.by_person[own.pk]
        city = self.city_of.get(unit.pk)
        if city is not None:
            boss = self.secretary.get(city.pk)
            if boss is not None and boss.pk in self.by_person:
                return self.by_person[boss.pk]
        return self.organiser


def _record(
    cast: _Cast, unit: Unit, year: int, index: int, found_on, deadline, rng, item=None
) -> Problem:
    """Record one item: the drawn ``item`` (a :class:`spread.Finding`), else a stock finding."""
    if item is not None:
        source, description, measures = item.source, item.description, item.measures
        severity = item.severity
    else:
        source, description, measures = FINDINGS[index % len(FINDINGS)]
        severity = rng.choice([Severity.GENERAL, Severity.MAJOR])
    leader = cast.secretary.get(unit.pk)
    person = cast.deputy.get(unit.pk)
    return services.create_problem(
        actor=cast.recorder(unit),
        unit=unit,
        description=description,
        source=source,
        found_on=found_on,
        year=year,
        severity=severity,
        responsible_leader=leader,
        responsible_leader_name=leader.name if leader else "",
        responsible_person=person,
        responsible_person_name=person.name if person else "",
        responsible_department=rng.choice(DEPARTMENTS),
        responsibility_kind=KINDS[index % len(KINDS)],
        measures=measures,
        deadline=deadline,
    )


def _start(cast: _Cast, problem: Problem, day: datetime.date, notes: int = 1) -> Problem:
    worker = cast.rectifier(problem.unit)
    with _on(day):
        problem = services.transition(
            actor=worker, problem=problem, to_status=ProblemStatus.IN_PROGRESS
        )
    for n in range(notes):
        on = day + datetime.timedelta(days=20 + 25 * n)
        with _on(on, hour=15):
            services.add_note(
                actor=worker, problem=problem, on=on, text=NOTES[(problem.pk + n) % len(NOTES)]
            )
    return problem


def _submit(cast: _Cast, problem: Problem, day: datetime.date) -> Problem:
    worker = cast.rectifier(problem.unit)
    with _on(day):
        services.add_evidence(
            actor=worker,
            problem=problem,
            upload=SimpleUploadedFile(
                f"整改报告-{problem.year}-{problem.serial}.pdf",
                _pdf(f"Rectification report {problem.pk}"),
                content_type="application/pdf",
            ),
            note="整改情况报告及佐证材料",
        )
        return services.transition(actor=worker, problem=problem, to_status=ProblemStatus.SUBMITTED)


def _close(cast: _Cast, problem: Problem, day: datetime.date, *, send_back: bool) -> Problem:
    verifier = cast.verifier(problem.unit)
    if send_back:
        with _on(day):
            problem = services.transition(
                actor=verifier,
                problem=problem,
                to_status=ProblemStatus.IN_PROGRESS,
                reason=SEND_BACK_REASON,
            )
        problem = _submit(cast, problem, day + datetime.timedelta(days=14))
        day += datetime.timedelta(days=21)
    with _on(day, hour=16):
        return services.transition(
            actor=verifier,
            problem=problem,
            to_status=ProblemStatus.CLOSED,
            verdict=VERDICTS[problem.pk % len(VERDICTS)],
        )


def _long_term(cast: _Cast, problem: Problem, day: datetime.date) -> Problem:
    with _on(day):
        return services.transition(
            actor=cast.verifier(problem.unit),
            problem=problem,
            to_status=ProblemStatus.LONG_TERM,
            reason=LONG_TERM_REASON,
        )


def _live(cast: _Cast, problem: Problem, fate: str, found: datetime.date, n: int) -> None:
    """Walk ``problem`` to its ``fate`` (see :mod:`shuzhi.demo.spread`) through the state
    machine, on days set by its deadline: closed on time or late, sent back after
    verification (reopened), submitted, long-term, started or never started."""
    deadline = problem.deadline or found + datetime.timedelta(days=120)
    if fate in {"open_soon", "overdue"}:
        return
    problem = _start(cast, problem, found + datetime.timedelta(days=12), notes=2)
    if fate in {"in_progress", "overdue_started"}:
        return
    if fate == "long_term":
        _long_term(cast, problem, found + datetime.timedelta(days=70))
        return
    if fate == "closed_late":
        problem = _submit(cast, problem, deadline + datetime.timedelta(days=12 + n % 10))
        _close(cast, problem, deadline + datetime.timedelta(days=25 + n % 10), send_back=False)
        return
    if fate == "submitted":
        _submit(cast, problem, found + datetime.timedelta(days=80 + n % 20))
        return
    problem = _submit(cast, problem, deadline - datetime.timedelta(days=45))
    if fate == "reopened":  # the verifier finds it not done and sends it back
        with _on(deadline - datetime.timedelta(days=30)):
            services.transition(
                actor=cast.verifier(problem.unit),
                problem=problem,
                to_status=ProblemStatus.IN_PROGRESS,
                reason=SEND_BACK_REASON,
            )
        return
    _close(cast, problem, deadline - datetime.timedelta(days=30), send_back=n % 4 == 0)


def _year(cast: _Cast, units: list[Unit], rng: random.Random, year: int, room) -> int:
    """Record and live one year's items: per unit a drawn count (within ``room(unit)``, what
    the unit may still take up to :data:`spread.MAX_PER_UNIT`) of drawn findings, worked off
    as diligently as the unit is (:func:`spread.diligence`). Units in :attr:`_Cast.idle`
    have none; units whose secretary signs in to the demo get a few, so they have work."""
    made = 0
    first = datetime.date(year, 3, 10) if year == Y1 else datetime.date(year, 3, 2)
    last = datetime.date(year, 5, 31) if year == Y1 else datetime.date(year, 6, 30)
    span = (last - first).days
    for unit in units:
        zeal = cast.zeal.setdefault(unit.pk, spread.diligence(rng))
        lowest = 3 if cast.signs_in(unit) else 0
        count = (
            0
            if unit.pk in cast.idle
            else spread.item_count(rng, at_least=lowest, at_most=room(unit))
        )
        days = sorted(rng.randint(0, span) for _ in range(count))
        for n, offset in enumerate(days):
            item = spread.finding(rng, year, zeal)
            if year == Y2 and n == 0 and lowest:
                # A demo sign-in's unit has one item running late, so its reminders show.
                item = dataclasses.replace(item, fate="overdue_started")
            found = first + datetime.timedelta(days=offset)
            deadline = spread.deadline_for(rng, item.fate, found)
            with _on(found):
                problem = _record(cast, unit, year, made, found, deadline, rng, item=item)
            _live(cast, problem, item.fate, found, made)
            made += 1
    return made


def _first_year(cast: _Cast, units: list[Unit], rng: random.Random) -> int:
    """2025, recorded in spring; a city keeps room for the two items its critique names."""
    return _year(
        cast,
        units,
        rng,
        Y1,
        lambda unit: spread.MAX_PER_UNIT - (0 if unit.pk in cast.city_of else CRITIQUE_ITEMS),
    )


def _second_year(cast: _Cast, units: list[Unit], rng: random.Random) -> int:
    """2026: new items in every state, each unit's total (with last year's leftovers) still
    within :data:`spread.MAX_PER_UNIT`; some overdue by late November, some due in December."""
    held = dict(
        Problem.objects.filter(unit__in=units, year=Y2)
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    return _year(
        cast, units, rng, Y2, lambda unit: max(0, spread.MAX_PER_UNIT - held.get(unit.pk, 0))
    )


def _carried_lives(cast: _Cast, province: Unit) -> None:
    """2026 for last year's leftovers: some finished, some still going (overdue), some long-
    term — each continuing from the status it was carried with."""
    carried = list(
        Problem.objects.filter(
            unit_path__startswith=province.path, year=Y2, carried_from__isnull=False
        )
        .select_related("unit")
        .order_by("unit_path", "serial")
    )
    for n, problem in enumerate(carried):
        day = datetime.date(Y2, 3, 15) + datetime.timedelta(days=3 * (n % 30))
        plan = n % 3
        if plan == 0 and problem.status != ProblemStatus.SUBMITTED:  # finished this year
            if problem.status == ProblemStatus.OPEN:
                problem = _start(cast, problem, day)
            if problem.status in {ProblemStatus.IN_PROGRESS, ProblemStatus.LONG_TERM}:
                problem = _submit(cast, problem, day + datetime.timedelta(days=40))
            _close(cast, problem, day + datetime.timedelta(days=55), send_back=False)
        elif plan == 1 and problem.status == ProblemStatus.OPEN:
            _start(cast, problem, day)  # started late; past its deadline it shows as 逾期
        elif problem.status == ProblemStatus.IN_PROGRESS:
            worker = cast.rectifier(problem.unit)
            with _on(day, hour=15):
                services.add_note(actor=worker, problem=problem, on=day, text=NOTES[2])


def _rounds(province: Unit) -> tuple[Round | None, Round | None]:
    rounds = {r.year: r for r in Round.objects.filter(host=province, year__in=[Y1, Y2])}
    return rounds.get(Y1), rounds.get(Y2)


@transaction.atomic
def seed_ledger_demo(stdout=None) -> DemoResult | None:
    """Replay the demo year (idempotent: skipped when the province already has problems)."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    if province is None or Problem.objects.filter(unit_path__startswith=province.path).exists():
        if stdout is not None:
            stdout.write("演示整改台账已存在或没有演示省份，跳过。")
        return None
    previous, current = _rounds(province)
    if previous is None or current is None:
        if stdout is not None:
            stdout.write("没有演示述职评议（2025、2026 年度），跳过演示整改台账。")
        return None
    rng = random.Random(SEED)
    reporters = list(previous.reporters.select_related("unit")) + list(
        current.reporters.select_related("unit")
    )
    cities = sorted({r.unit for r in reporters}, key=lambda unit: unit.code)
    # The first cities' first counties — among them the demo secretary's district (470102).
    # The last county of each later city had nothing found in either year.
    city_of: dict[int, Unit] = {}
    counties: list[Unit] = []
    idle: set[int] = set()
    for n, (city, how_many) in enumerate(zip(cities, COUNTIES_PER_CITY, strict=False)):
        mine = list(
            Unit.objects.filter(parent=city, status="active", type__code="county").order_by("code")[
                :how_many
            ]
        )
        counties += mine
        city_of.update({county.pk: city for county in mine})
        if n > 0 and len(mine) > 1:
            idle.add(mine[-1].pk)
    accounts = report_demo.secretary_accounts(reporters, province)
    cast = _Cast(province, cities + counties, accounts)
    cast.city_of = city_of
    cast.idle = idle
    units = cities + counties
    result = DemoResult()

    result.problems += _first_year(cast, units, rng)
    # The province secretary critiques (through the account made for them).
    host_post = Post.objects.filter(
        unit=province, role=PostRole.SECRETARY, end_date__isnull=True
    ).first()
    critic = (accounts.get(host_post.person_id) if host_post else None) or cast.organiser
    with _on(datetime.date(Y1, 12, 12)):
        report_demo.write_and_accept(previous, accounts, cast.organiser, rng, accept=False)
    with _on(datetime.date(Y1, 12, 18)):
        report_demo.accept_all(previous, cast.organiser)
    with _on(datetime.date(Y1, 12, 22), hour=17):
        critiques = report_demo.critique_all(
            previous,
            critic,
            [datetime.date(Y2, 3, 31), datetime.date(Y2, 6, 30)],
            proxy=cast.organiser,
        )
    result.critiques = len(critiques)
    result.problems += sum(c.problems.count() for c in critiques)
    plan_reporters = list(
        previous.reporters.select_related("unit", "person").order_by("sort_order")
    )
    with _on(datetime.date(Y2, 1, 6)):
        for i, reporter in enumerate(plan_reporters[:2]):
            report_demo.plan_for(
                reporter,
                accounts,
                cast.organiser,
                deadline=datetime.date(Y2, 6, 30),
                approve=i == 0,
            )
    with _on(datetime.date(Y2, 1, 10)):
        result.carried = services.carry_over(actor=cast.organiser, from_year=Y1, root=province)
    _carried_lives(cast, province)
    result.problems += _second_year(cast, units, rng)
    for day in (
        datetime.date(Y2, 4, 1),
        datetime.date(Y2, 7, 1),
        datetime.date(Y2, 9, 1),
        datetime.date(Y2, 10, 15),
        datetime.date(Y2, 11, 26),
    ):
        with _on(day, hour=6):
            run_reminders(today=day)
    with _on(datetime.date(Y2, 11, 24)):
        result.reports = report_demo.reports_2026(current, accounts, cast.organiser, rng)
    result.overdue = (
        Problem.objects.filter(unit_path__startswith=province.path, year=Y2)
        .overdue(datetime.date(Y2, 11, 27))
        .count()
    )
    if stdout is not None:
        stdout.write(
            f"已载入演示整改台账：问题 {result.problems} 个（上年度遗留 {result.carried} 个，"
            f"截至 {Y2}-11-27 逾期 {result.overdue} 个），点评 {result.critiques} 条，"
            f"{Y2} 年度述职报告 {sum(result.reports.values())} 份。"
        )
    return result
