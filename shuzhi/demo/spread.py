"""What the demo's inspections find and what becomes of it, drawn like a real year.

A real ledger is uneven: a few units carry many items, many carry a handful, some none; most
items are 一般, a few 严重; 巡察 and 督查 find more than 暗访 or 信访; and units differ in how
well they work their items off — one closes nearly everything on time, another lets half run
past the deadline. The demo draws all of this from a seeded ``random.Random`` (the demo is the
same on every machine), so the ledger's lists, the summary charts and each unit's 整改成效 differ
the way they would in a province.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from shuzhi.rectification.models import Severity

MAX_PER_UNIT = 15

# Items per unit and year: (lowest, highest, weight). About one unit in six has none.
COUNT_BUCKETS = ((0, 0, 18), (1, 3, 32), (4, 7, 30), (8, 12, 15), (13, 15, 5))

SOURCE_WEIGHTS = {
    "xuncha": 20,
    "supervision": 15,
    "self": 14,
    "xunshi": 12,
    "research": 10,
    "unannounced": 10,
    "petition": 10,
    "ballot": 9,
}
SEVERITY_WEIGHTS = {Severity.GENERAL: 62, Severity.MAJOR: 29, Severity.SERIOUS: 9}

# (description, measures) by source; {a} and {b} are filled with small counts so that two
# units never read the same sentence twice.
FINDINGS: dict[str, list[tuple[str, str]]] = {
    "xunshi": [
        (
            "落实全面从严治党主体责任有差距，{a}名班子成员“一岗双责”履行不到位，对分管领域党建"
            "工作过问少。",
            "制定班子成员履行“一岗双责”清单，每半年专题报告一次分管领域党建工作，纳入年度考核。",
        ),
        (
            "选人用人把关不严，{a}名干部提拔前个人有关事项报告核查不到位，动议程序记录不全。",
            "对近两年提拔干部档案逐一复核，完善动议、考察、公示全程纪实，严格执行凡提四必。",
        ),
        (
            "意识形态工作责任制落实不到位，{a}个阵地管理缺位，理论学习中心组学习流于形式。",
            "建立意识形态阵地管理台账，落实主管主办责任，理论学习中心组每季度开展专题研讨。",
        ),
    ],
    "xuncha": [
        (
            "基层党组织“三会一课”制度执行不严格，抽查的{b}个支部中有{a}个会议记录缺失、内容空泛。",
            "开展“三会一课”专项检查，逐支部补齐记录，建立组织生活纪实台账，每季度抽查通报。",
        ),
        (
            "党费收缴不规范，{a}个支部存在代缴、少缴党费问题，党费使用未按规定公开。",
            "开展党费收缴专项清理，逐人核定缴纳基数，补缴差额，按季度公开党费收支情况。",
        ),
        (
            "村“两委”班子运行不规范，{a}个村“四议两公开”执行不到位，重大事项未经集体研究。",
            "修订村级重大事项决策清单，对村“两委”成员开展轮训，乡镇党委每月抽查决策记录。",
        ),
        (
            "党员教育管理宽松软，{a}名流动党员长期失联，组织关系排查不及时。",
            "开展失联党员集中排查，逐人建立联系档案，按规定稳妥处置，健全流动党员管理制度。",
        ),
    ],
    "supervision": [
        (
            "软弱涣散村党组织整顿进度滞后，{a}个村未按期完成转化，驻村第一书记在岗时间不足。",
            "实行县级领导包村整顿，调整不胜任的村党组织书记，落实第一书记考勤和召回制度。",
        ),
        (
            "党群服务中心功能发挥不充分，{a}个中心挂牌后长期闲置，服务事项清单未公开。",
            "制定党群服务中心服务事项清单，落实专人值守，引入群众需求量大的服务项目。",
        ),
        (
            "基层减负要求落实不到位，{a}类报表重复填报，村级组织工作事项清单外事项仍较多。",
            "清理规范村级组织工作事项和证明事项，整合重复报表，建立准入审核制度。",
        ),
    ],
    "research": [
        (
            "村级集体经济薄弱，年经营性收入低于10万元的村有{b}个，其中{a}个村存在负债。",
            "一村一策制定集体经济发展方案，盘活闲置资产资源，清理化解村级债务。",
        ),
        (
            "村干部队伍年龄偏大，{b}个村党组织书记中有{a}名年龄超过60岁，后备力量不足。",
            "实施村级后备力量储备计划，每村储备2名以上后备干部，建立跟踪培养档案。",
        ),
        (
            "两新组织党建覆盖不全，调研的{b}家规模以上企业中有{a}家未建立党组织。",
            "开展两新组织党建集中攻坚，选派党建指导员，成熟一个组建一个。",
        ),
    ],
    "unannounced": [
        (
            "便民服务中心窗口工作人员脱岗，暗访的{b}个窗口中有{a}个无人值守，群众等候时间长。",
            "完善窗口考勤和群众评价制度，推行党员干部轮流值班，开展作风问题专项整治。",
        ),
        (
            "工作日暗访发现{a}个村党组织活动场所大门紧锁，值班制度形同虚设。",
            "落实村级活动场所坐班值班制度，公开值班电话，乡镇每月不定期抽查并通报。",
        ),
    ],
    "petition": [
        (
            "群众反映村务公开不及时、低保评定程序不透明，涉及{a}个村，村务监督委员会作用发挥不够。",
            "规范村务公开栏目和时限，低保评定全程公示，培训村务监督委员会成员。",
        ),
        (
            "群众反映{a}个社区物业矛盾长期得不到解决，社区党组织统筹协调作用发挥不够。",
            "建立社区党组织牵头的物业联席会议制度，逐一化解积案，每月向居民通报进展。",
        ),
    ],
    "ballot": [
        (
            "民主评议中“抓基层党建工作成效”一项评价偏低，{a}个单位群众满意度不足八成。",
            "开展党员联系户全覆盖，建立群众诉求办理台账，评议结果运用于党员积分管理。",
        ),
        (
            "民主评议党员工作走过场，{a}个支部未开展谈心谈话，评议结果未运用。",
            "规范民主评议党员程序，谈心谈话全覆盖，评议结果与党员积分和评先评优挂钩。",
        ),
    ],
    "self": [
        (
            "发展党员工作程序不规范，{a}名入党积极分子培养考察材料不完整、公示不到位。",
            "对近三年发展党员档案全面复查，补正程序瑕疵，实行发展党员全程纪实和县级预审。",
        ),
        (
            "自查发现{a}个支部换届不及时，超期未换届时间最长达{b}个月。",
            "建立支部换届提醒制度，对超期支部限期完成换届，乡镇党委全程指导把关。",
        ),
        (
            "党建工作经费保障不到位，{a}个村办公经费未按标准足额拨付。",
            "核定村级组织运转经费标准，按季度足额拨付，纳入县级财政预算予以保障。",
        ),
    ],
}

# What becomes of an item that is not closed, by year: (fate, weight).
OPEN_FATES_2025 = (
    ("overdue", 3),
    ("overdue_started", 3),
    ("reopened", 2),
    ("submitted", 1),
    ("long_term", 2),
)
OPEN_FATES_2026 = (
    ("open_soon", 3),
    ("overdue", 2),
    ("overdue_started", 2),
    ("in_progress", 4),
    ("submitted", 3),
    ("reopened", 2),
    ("long_term", 2),
)
CLOSED_FATES = ("closed_on_time", "closed_late")


@dataclass(frozen=True)
class Finding:
    """One item to record: what was found, where it came from, how grave, and its fate."""

    source: str
    description: str
    measures: str
    severity: str
    fate: str


def _weighted(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights)[0]


def item_count(rng: random.Random, *, at_least: int = 0, at_most: int = MAX_PER_UNIT) -> int:
    """Items one unit gets in one year, from :data:`COUNT_BUCKETS`, within the bounds."""
    low, high, _ = rng.choices(COUNT_BUCKETS, weights=[b[2] for b in COUNT_BUCKETS])[0]
    return max(0, min(at_most, max(at_least, rng.randint(low, high))))


def diligence(rng: random.Random) -> float:
    """How well a unit works its items off: the chance that an item ends up closed."""
    return rng.uniform(0.2, 0.95)


def finding(rng: random.Random, year: int, zeal: float) -> Finding:
    """Draw one item of ``year`` for a unit of diligence ``zeal``."""
    source = _weighted(rng, SOURCE_WEIGHTS.items())
    template, measures = rng.choice(FINDINGS[source])
    description = template.format(a=rng.randint(2, 9), b=rng.randint(12, 40))
    severity = _weighted(rng, SEVERITY_WEIGHTS.items())
    if rng.random() < zeal:
        fate = CLOSED_FATES[0] if rng.random() < zeal else CLOSED_FATES[1]
    else:
        fate = _weighted(rng, OPEN_FATES_2025 if year == 2025 else OPEN_FATES_2026)
    return Finding(source, description, measures, severity, fate)


def deadline_for(rng: random.Random, fate: str, found: datetime.date) -> datetime.date:
    """A deadline that makes ``fate`` come true within the demo's story (which ends in late
    November of the second year): late closes and overdue items fall due well before then,
    items still in progress after it."""
    year = found.year
    days = {
        "closed_on_time": (100, 150),
        "closed_late": (90, 110),
        "overdue": (90, 130),
        "overdue_started": (90, 130),
        "reopened": (100, 130),
        "submitted": (150, 170),
    }
    if fate == "open_soon":
        return datetime.date(year, 12, rng.randint(1, 10))
    if fate == "in_progress":
        return datetime.date(year, 12, 20) + datetime.timedelta(days=rng.randint(0, 40))
    if fate == "long_term":
        return datetime.date(year + 1, 6, 30)
    low, high = days[fate]
    return found + datetime.timedelta(days=rng.randint(low, high))
