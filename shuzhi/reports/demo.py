"""Demo reports, critiques and a rectification plan for the demo province (江岭省).

Called from ``shuzhi.demo.ledger`` while it replays the demo year: the 2025 reports of the
cities are written, submitted and accepted; the province secretary critiques each city and names
problems (which become ledger items with source 上级点评); some cities draft a rectification plan
the superior approves or returns; in November 2026 the cities write their 2026 reports, answering
last year's carried items — some still drafts, some submitted, some returned with comments.

Everything goes through the report, critique and plan services, acting as the people who would
do it: each city's secretary through their own account (created here, linked to the reporting
person, with a secretary grant on their city), the province secretary for critiques, and the
province organiser as the reviewer. The texts are first-person and written to show both a good
report (concrete, with figures and self-criticism) and a weak one (praise with adjectives),
so the quality checks have something to tell apart.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from shuzhi.accounts.models import Grant, Role
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.orgs.demo import DEMO_PASSWORD
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.tree.models import Unit
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.critiques.models import Critique, CritiqueRole
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.reports import services as report_services
from shuzhi.reports.reports.models import Report, ReportStatus

# --- Texts ------------------------------------------------------------------------------------

GOOD_PERFORMANCE = (
    "今年以来，我认真履行抓基层党建第一责任人职责，全年主持召开市委常委会专题研究基层党建"
    "{meetings}次，带头到{villages}个软弱涣散村党组织蹲点调研，逐村制定整顿方案。"
    "我牵头推动{place}实施“村级集体经济三年倍增计划”，全市年收入10万元以上的村由{before}个"
    "增加到{after}个，占比提高{rate}个百分点；选派{cadres}名机关干部到村任第一书记，"
    "调整不胜任不尽职的村党组织书记{replaced}名。我坚持每季度听取县（市、区）委书记抓党建"
    "工作汇报，对{warned}个推进不力的县区书记进行了约谈。"
    "\n在城市基层党建方面，我推动全市{streets}个街道全部组建“大工委”，吸纳驻区单位{members}家"
    "兼职委员，建立街道社区党组织“吹哨”、部门“报到”机制，全年解决群众急难愁盼问题{issues}件。"
    "针对上年度省委点评指出的“两新”组织党建覆盖质量不高问题，我带队走访了{firms}家规模以上"
    "非公企业，新建党组织{new_orgs}个，选派党建指导员{guides}名，做到有人抓、有人管。"
)
GOOD_PROBLEMS = (
    "对照上级要求，我本人和市委在抓基层党建方面还存在以下问题：一是我抓党建的精力投入不够"
    "均衡，到城市社区和“两新”组织调研只有{visits}次，明显少于农村；二是上年度巡视反馈的"
    "“三会一课”落实不严格问题整改还不彻底，抽查的{checked}个支部中仍有{gaps}个记录不全；"
    "三是党建责任考核“重台账、轻实效”，考核结果与干部使用挂钩不紧；四是村党组织书记队伍"
    "老化问题仍然突出，55岁以上的占{old_share}%，后备力量储备不足。究其原因，主要是我对"
    "基层党建工作的长期性、艰巨性认识不足，压力传导层层递减，督促检查多靠听汇报、看材料。"
)
GOOD_NEXT = (
    "下一步，我将从三个方面改进：一是每季度至少到{visits_next}个城市社区和非公企业党组织调研，"
    "年内实现“两新”组织党的组织覆盖率达到{coverage}%；二是对上年度遗留问题建立销号台账，"
    "逐项明确责任人和完成时限，{deadline}前全部整改到位；三是修订县区党建考核办法，把群众"
    "满意度和问题整改率作为主要指标，考核结果直接运用于干部选拔任用；四是实施村党组织书记"
    "“头雁”储备计划，每村至少储备2名35岁以下的后备人选，明年换届前完成全员轮训。"
)
WEAK_PERFORMANCE = (
    "今年以来，{place}各级党组织在上级党委的坚强领导下，认真贯彻落实各项决策部署，高度重视、"
    "精心组织、扎实推进，基层党建工作取得了显著成效，呈现出整体推进、亮点纷呈的良好局面。"
    "各级党组织战斗堡垒作用明显增强，党员先锋模范作用充分发挥，广大干部群众普遍认可，"
    "基层党建工作水平迈上了新台阶，为经济社会高质量发展提供了坚强有力的组织保证。"
)
WEAK_PROBLEMS = (
    "工作中也存在一些不足，主要是创新意识还需进一步增强，工作标准还需进一步提高，个别方面"
    "还有提升空间。"
)
WEAK_NEXT = "下一步，我们将继续高度重视，持续用力，久久为功，推动基层党建工作再上新台阶。"

CARRIED_ANSWERS = [
    (
        "已制定整改方案，明确牵头领导和责任部门，目前已完成主要整改任务，正在建立长效机制。",
        "整改方案、专题会议纪要和整改台账已上传至问题台账。",
    ),
    (
        "已对照问题逐项排查，完成制度修订并组织全面复查，复查中发现的新情况已同步整改。",
        "复查报告、制度文件和抽查记录，见问题台账佐证材料。",
    ),
    (
        "该问题涉及面广、需长期推进，已列入持续整改，本年度完成阶段性目标，明年上半年全部完成。",
        "阶段性整改报告和季度进展表。",
    ),
]

RETURN_COMMENT = (
    "报告以成绩罗列为主，形容词多、数据和案例少；存在问题一段只有一句话，没有查找本人责任和"
    "深层次原因；上年度点评指出的问题整改情况没有写实。请对照点评意见重写后再提交。"
)
ACCEPT_COMMENT = "报告内容实在，问题查摆到位，同意。"

CRITIQUES = [
    (
        "{name}同志述职报告实事求是，抓基层党建的思路比较清楚，村级集体经济发展有实招、见实效。"
        "但也要看到，一是城市基层党建推进不平衡，部分街道社区党组织统筹能力不强；二是上年度"
        "巡视反馈问题整改还有“尾巴”，个别问题以文件落实整改；三是党建考核结果运用不够。"
        "希望针对这些问题拿出硬措施，年内见到成效。"
    ),
    (
        "{name}同志对抓基层党建第一责任人职责认识到位，亲自部署、亲自推动的意识较强。"
        "存在的主要问题：一是软弱涣散党组织整顿转化后巩固不够，有的村出现反弹；二是发展党员"
        "工作把关不严，个别支部程序不规范；三是“两新”组织党建覆盖质量不高，有形覆盖多、"
        "有效覆盖少。要举一反三，建立长效机制。"
    ),
]
CRITIQUE_PROBLEMS = [
    [
        "城市基层党建推进不平衡，部分街道社区党组织统筹辖区资源能力不强",
        "上年度巡视反馈问题整改不彻底，个别问题以文件落实整改",
    ],
    [
        "软弱涣散村党组织整顿转化后巩固不够，个别村出现反弹",
        "“两新”组织党建有形覆盖多、有效覆盖少，党组织作用发挥不明显",
    ],
]

PLAN_SUMMARY = (
    "针对省委书记点评指出的问题，市委常委会专题研究，逐项明确牵头领导、责任部门、整改措施和"
    "完成时限，实行清单化管理、销号式推进，每月调度一次，整改结果向省委组织部报告。"
)
PLAN_MEASURES = [
    "制定街道社区党组织统筹能力提升三年行动方案，年内完成全部街道“大工委”组建。",
    "逐项对账巡视反馈问题，对以文件落实整改的问题重新制定措施，整改结果现场验收。",
    "建立整顿转化村“回头看”机制，县级领导包村巩固，每季度评估一次。",
    "开展“两新”组织党建质量提升行动，推行党建指导员制度，年内实现有效覆盖。",
]


def report_text(unit: Unit, rng: random.Random, *, good: bool, year: int) -> dict[str, str]:
    """The three sections of a first-person report for ``unit`` — a concrete one or a praise-
    only one."""
    place = unit.name.replace("委员会", "").replace("市委", "市")
    if not good:
        return {
            "performance": WEAK_PERFORMANCE.format(place=place),
            "problems": WEAK_PROBLEMS,
            "next_steps": WEAK_NEXT,
        }
    before = rng.randint(80, 160)
    after = before + rng.randint(30, 90)
    return {
        "performance": GOOD_PERFORMANCE.format(
            meetings=rng.randint(4, 9),
            villages=rng.randint(3, 8),
            place=place,
            before=before,
            after=after,
            rate=rng.randint(8, 21),
            cadres=rng.randint(120, 420),
            replaced=rng.randint(12, 60),
            warned=rng.randint(1, 4),
            streets=rng.randint(20, 60),
            members=rng.randint(150, 400),
            issues=rng.randint(800, 3000),
            firms=rng.randint(12, 30),
            new_orgs=rng.randint(20, 80),
            guides=rng.randint(40, 120),
        ),
        "problems": GOOD_PROBLEMS.format(
            visits=rng.randint(2, 5),
            checked=rng.randint(40, 80),
            gaps=rng.randint(3, 9),
            old_share=rng.randint(28, 41),
        ),
        "next_steps": GOOD_NEXT.format(
            visits_next=rng.randint(4, 8),
            coverage=rng.choice([90, 92, 95]),
            deadline=f"{year + 1}年6月底",
        ),
    }


# --- Accounts ---------------------------------------------------------------------------------


def secretary_accounts(reporters: list[RoundReporter], province: Unit) -> dict[int, object]:
    """Accounts for the people who report (their own account writes their report) and for the
    province secretary, who critiques: ``{person_id: user}``.

    Written directly, like the demo sign-ins of ``orgs.demo``: a loader for the demo only.
    Each city secretary also holds a secretary grant on their city, which the plan needs.
    """
    User = get_user_model()
    wanted: dict[int, Unit] = {r.person_id: r.unit for r in reporters if r.person_id}
    host_post = (
        Post.objects.filter(unit=province, role=PostRole.SECRETARY, end_date__isnull=True)
        .select_related("person")
        .first()
    )
    if host_post is not None:
        wanted[host_post.person_id] = province
    existing = {u.person_id: u for u in User.objects.filter(person_id__in=wanted)}
    people = Person.objects.in_bulk(list(wanted))
    # One hash for all: they share the demo password, and hashing is slow on purpose.
    password = make_password(DEMO_PASSWORD)
    accounts: dict[int, object] = {}
    for person_id, unit in wanted.items():
        user = existing.get(person_id)
        if user is None:
            user = User.objects.create(
                username=f"sj{unit.code}",
                full_name=people[person_id].name,
                person_id=person_id,
                password=password,
            )
        Grant.objects.get_or_create(user=user, unit=unit, role=Role.SECRETARY)
        accounts[person_id] = user
    return accounts


def _writer(reporter: RoundReporter, accounts: dict, fallback):
    return accounts.get(reporter.person_id) or fallback


# --- Steps of the year (called by shuzhi.demo.ledger at the right simulated dates) -----------


def write_and_accept(
    round: Round, accounts: dict, reviewer, rng: random.Random, *, accept: bool = True
) -> list[Report]:
    """Every reporter writes a good report answering last year's items and submits it; the
    reviewer accepts it."""
    done = []
    for reporter in round.reporters.select_related("unit", "round").order_by("sort_order", "pk"):
        writer = _writer(reporter, accounts, reviewer)
        report = report_services.ensure_report(actor=writer, reporter=reporter)
        report = report_services.save_draft(
            actor=writer,
            report=report,
            sections=report_text(reporter.unit, rng, good=True, year=round.year),
            carried=_carried_answers(report),
        )
        report = report_services.submit(actor=writer, report=report)
        if accept:
            report = report_services.accept(actor=reviewer, report=report, comment=ACCEPT_COMMENT)
        done.append(report)
    return done


def accept_all(round: Round, reviewer) -> int:
    """The reviewer accepts every submitted report of ``round``."""
    reports = Report.objects.filter(
        reporter__round=round, status=ReportStatus.SUBMITTED
    ).select_related("reporter__round__host", "reporter__unit")
    for report in reports:
        report_services.accept(actor=reviewer, report=report, comment=ACCEPT_COMMENT)
    return len(reports)


def _carried_answers(report: Report, *, limit: int | None = None) -> dict:
    rows = list(report.carried.order_by("problem__serial", "problem_id")[: limit or None])
    return {
        row.problem_id: {
            "answer": CARRIED_ANSWERS[i % len(CARRIED_ANSWERS)][0],
            "evidence": CARRIED_ANSWERS[i % len(CARRIED_ANSWERS)][1],
        }
        for i, row in enumerate(rows)
    }


def critique_all(round: Round, critic, deadlines: list, *, proxy=None) -> list[Critique]:
    """The province secretary critiques each reporter and names two problems, which become
    ledger items of the reporter's unit (source 上级点评); the critiques are published. With
    ``proxy`` (an organiser), the last critique is entered by them on the secretary's behalf
    (代录)."""
    made = []
    reporters = list(
        round.reporters.select_related("unit", "person", "round").order_by("sort_order")
    )
    for i, reporter in enumerate(reporters):
        name = reporter.person.name if reporter.person else reporter.unit.name
        by_proxy = proxy is not None and proxy != critic and i == len(reporters) - 1
        actor = proxy if by_proxy else critic
        critique = critique_services.save_critique(
            actor=actor,
            critic=(getattr(critic, "display_name", "") or critic.get_username())
            if by_proxy
            else "",
            reporter=reporter,
            text=CRITIQUES[i % len(CRITIQUES)].format(name=name),
            role=CritiqueRole.HOST_SECRETARY,
            rating=["good", "fair_good", "fair_good", "average"][i % 4],
            problems=[
                {
                    "description": text,
                    "severity": "major" if j == 0 else "general",
                    "deadline": deadlines[j % len(deadlines)].isoformat(),
                }
                for j, text in enumerate(CRITIQUE_PROBLEMS[i % len(CRITIQUE_PROBLEMS)])
            ],
        )
        made.append(critique_services.publish_critique(actor=actor, critique=critique))
    return made


def plan_for(reporter: RoundReporter, accounts: dict, reviewer, *, deadline, approve: bool):
    """The reporter's unit drafts its plan from the named problems and submits it; the reviewer
    approves it (the items are written onto the problems) or returns it."""
    writer = _writer(reporter, accounts, reviewer)
    plan = plan_services.draft_plan(actor=writer, reporter=reporter)
    leader = reporter.person.name if reporter.person else ""
    items = [
        {
            **item,
            "measures": PLAN_MEASURES[i % len(PLAN_MEASURES)],
            "deadline": deadline.isoformat(),
            "responsible_leader_name": leader,
            "responsible_department": "市委组织部",
        }
        for i, item in enumerate(plan.items)
    ]
    plan = plan_services.update_plan(actor=writer, plan=plan, summary=PLAN_SUMMARY, items=items)
    plan = plan_services.submit_plan(actor=writer, plan=plan)
    if approve:
        return plan_services.approve_plan(actor=reviewer, plan=plan)
    return plan_services.return_plan(
        actor=reviewer,
        plan=plan,
        comment="整改措施偏原则，请把每项措施细化到可检查的节点，并明确到具体责任人。",
    )


# Who does what with the 2026 reports, by the reporter's position in the round: the first is
# returned, the second stays a draft, the third is submitted, the fourth was returned and
# resubmitted; then the pattern repeats.
REPORT_PATTERN = ("returned", "draft", "submitted", "resubmitted")


def reports_2026(round: Round, accounts: dict, reviewer, rng: random.Random) -> dict[str, int]:
    """The cities' 2026 reports in every stage: drafts (with unanswered carried items), good
    reports submitted, and praise-only reports returned with comments (one resubmitted)."""
    counts: dict[str, int] = {}
    reporters = round.reporters.select_related("unit", "round").order_by("sort_order", "pk")
    for i, reporter in enumerate(reporters):
        stage = REPORT_PATTERN[i % len(REPORT_PATTERN)]
        writer = _writer(reporter, accounts, reviewer)
        report = report_services.ensure_report(actor=writer, reporter=reporter)
        good = stage in {"submitted", "draft"}
        report = report_services.save_draft(
            actor=writer,
            report=report,
            sections=report_text(reporter.unit, rng, good=good, year=round.year),
            carried=_carried_answers(report, limit=1 if stage == "draft" else None),
        )
        if stage != "draft":
            report = report_services.submit(actor=writer, report=report)
        if stage in {"returned", "resubmitted"}:
            report = report_services.return_report(
                actor=reviewer, report=report, comment=RETURN_COMMENT
            )
        if stage == "resubmitted":
            report = report_services.save_draft(
                actor=writer,
                report=report,
                sections=report_text(reporter.unit, rng, good=True, year=round.year),
            )
            report = report_services.resubmit(actor=writer, report=report)
        counts[report.status] = counts.get(report.status, 0) + 1
    return counts
