"""Round policies as data, with the defaults of DOMAIN.md §5.

A round stores its policies in JSON fields; these functions give the defaults and validate
what an organiser sets, so no rule is a constant in code.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError


def default_scale() -> list[dict]:
    """好 / 较好 / 一般 / 差 with points 100 / 80 / 60 / 0."""
    return [
        {"code": "good", "label": "好", "points": 100},
        {"code": "fair_good", "label": "较好", "points": 80},
        {"code": "average", "label": "一般", "points": 60},
        {"code": "poor", "label": "差", "points": 0},
    ]


def default_categories() -> list[dict]:
    """Voter categories with weights summing to 1."""
    return [
        {"code": "leaders", "label": "领导班子成员", "weight": "0.30"},
        {"code": "members", "label": "委员", "weight": "0.20"},
        {"code": "deputies", "label": "两代表一委员", "weight": "0.15"},
        {"code": "secretaries", "label": "基层党组织书记", "weight": "0.20"},
        {"code": "public", "label": "党员群众代表", "weight": "0.15"},
    ]


def default_sub_items() -> list[dict]:
    """Optional sub-items rated beside the overall grade; empty means overall only."""
    return []


def validate_scale(scale: list[dict]) -> None:
    if not isinstance(scale, list) or len(scale) < 2:
        raise ValidationError({"scale": "评价等次至少要有两个。"})
    codes = [s.get("code") for s in scale]
    if len(set(codes)) != len(codes) or not all(codes):
        raise ValidationError({"scale": "评价等次的代码不能为空或重复。"})
    for item in scale:
        if not str(item.get("label", "")).strip():
            raise ValidationError({"scale": "每个评价等次都要有名称。"})
        if not isinstance(item.get("points"), int | float) or item["points"] < 0:
            raise ValidationError({"scale": f"等次“{item.get('label')}”的分值必须是非负数。"})


def validate_categories(categories: list[dict]) -> None:
    if not isinstance(categories, list) or not categories:
        raise ValidationError({"categories": "至少要有一个参评人员类别。"})
    codes = [c.get("code") for c in categories]
    if len(set(codes)) != len(codes) or not all(codes):
        raise ValidationError({"categories": "参评人员类别的代码不能为空或重复。"})
    try:
        total = sum(Decimal(str(c.get("weight", "0"))) for c in categories)
    except ArithmeticError as exc:
        raise ValidationError({"categories": "类别权重必须是数字。"}) from exc
    if total != Decimal("1"):
        raise ValidationError({"categories": f"各类别权重之和必须等于 1（现为 {total}）。"})


def validate_quotas(quotas: dict, scale: list[dict]) -> None:
    codes = {s["code"] for s in scale}
    for code, limit in (quotas or {}).items():
        if code not in codes:
            raise ValidationError({"quotas": f"名额限制中的等次“{code}”不在评价等次中。"})
        if not isinstance(limit, int) or limit < 0:
            raise ValidationError({"quotas": "名额限制必须是非负整数。"})


def validate_sub_items(sub_items: list[dict]) -> None:
    """Sub-items are optional; when given, each needs a unique code and a name."""
    if not isinstance(sub_items, list):
        raise ValidationError({"sub_items": "分项评价格式不正确。"})
    codes = [s.get("code") for s in sub_items]
    if len(set(codes)) != len(codes) or not all(codes):
        raise ValidationError({"sub_items": "分项评价的代码不能为空或重复。"})
    for item in sub_items:
        if not str(item.get("label", "")).strip():
            raise ValidationError({"sub_items": "每个分项评价都要有名称。"})


def validate_category_labels(categories: list[dict]) -> None:
    """Each category needs a name and a weight between 0 and 1."""
    for item in categories:
        if not str(item.get("label", "")).strip():
            raise ValidationError({"categories": "每个参评人员类别都要有名称。"})
        try:
            weight = Decimal(str(item.get("weight", "0")))
        except ArithmeticError as exc:
            raise ValidationError({"categories": "类别权重必须是数字。"}) from exc
        if not Decimal("0") <= weight <= Decimal("1"):
            raise ValidationError(
                {"categories": f"类别“{item.get('label')}”的权重必须在 0 到 1 之间。"}
            )


def default_report_topics() -> list[dict]:
    """Must-answer topics (必答题) a host sets for the year's reports; none by default."""
    return []


def default_report_checks() -> dict:
    """Thresholds of the report quality checks (DOMAIN.md §4, §7), as data per round.

    - ``max_chars``: the length limit (burden-reduction rules favour short reports);
    - ``min_chars``: a floor, off (0) by default — a short honest report is a good report;
    - ``min_first_person_per_1000``: the author speaking (我、我们、班子…) per 1,000 characters;
    - ``min_specific_share``: the share of named problems that must be specific (a unit, a
      person, a figure or a case);
    - ``max_trace_share``: above this share of figures counting 留痕 activities, results are
      asked for;
    - ``min_concrete_per_1000``: figures, cases and named units per 1,000 characters;
    - ``min_topic_chars``: an answer to a must-answer topic shorter than this is not an answer;
    - ``block_empty_problems``: 1 (on) refuses to submit a report whose 存在问题 is empty.

    ``min_problem_share`` is still accepted (rounds stored it) but no check reads it now.
    """
    return {
        "max_chars": 4000,
        "min_chars": 0,
        "min_first_person_per_1000": 1.0,
        "min_specific_share": 0.5,
        "max_trace_share": 0.6,
        "min_concrete_per_1000": 4.0,
        "min_topic_chars": 60,
        "block_empty_problems": 1,
    }


# Each known report check: (Chinese meaning, kind, lowest, highest). The critique keys are read
# by the critique check (reports.critiques.services) from the same ``report_checks`` field.
REPORT_CHECK_KEYS: dict[str, tuple[str, type, float, float]] = {
    "max_chars": ("正文字数上限", int, 200, 50000),
    "min_chars": ("正文字数下限", int, 0, 50000),
    "min_first_person_per_1000": ("以“我”或班子口吻讲述每千字最少次数", float, 0, 100),
    "min_problem_share": ("讲问题的篇幅最低占比（0–1，已停用）", float, 0, 1),
    "min_specific_share": ("具体问题的最低占比（0–1）", float, 0, 1),
    "max_trace_share": ("留痕次数在成绩数字中的最高占比（0–1）", float, 0, 1),
    "block_empty_problems": ("“存在问题”为空时禁止提交（1 是，0 否）", int, 0, 1),
    "min_concrete_per_1000": ("数字、案例等每千字最少处数", float, 0, 100),
    "min_topic_chars": ("每道必答题最少字数", int, 0, 5000),
    "critique_min_problem_share": ("点评中指出问题的最低占比（0–1）", float, 0, 1),
    "critique_min_chars": ("点评最少字数", int, 0, 5000),
}
MAX_REPORT_TOPICS = 10
TOPIC_TITLE_MAX_LENGTH = 100
TOPIC_HINT_MAX_LENGTH = 500
_TOPIC_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def validate_report_topics(topics: list[dict]) -> None:
    """At most ten topics, each with a unique slug-like code and a title of ≤ 100 characters.

    The code keys the answers stored in each report, so it must stay short and plain.
    """
    if not isinstance(topics, list) or not all(isinstance(t, dict) for t in topics):
        raise ValidationError({"report_topics": "必答题格式不正确。"})
    if len(topics) > MAX_REPORT_TOPICS:
        raise ValidationError({"report_topics": f"必答题最多 {MAX_REPORT_TOPICS} 道。"})
    codes = [str(t.get("code") or "").strip() for t in topics]
    for code in codes:
        if not _TOPIC_CODE_RE.match(code):
            raise ValidationError(
                {
                    "report_topics": f"必答题代码“{code}”不正确："
                    "不能为空，只能用字母、数字、下划线和连字符，最长 32 个字符。"
                }
            )
    if len(set(codes)) != len(codes):
        raise ValidationError({"report_topics": "必答题的代码不能重复。"})
    for item in topics:
        title = str(item.get("title") or "").strip()
        if not title:
            raise ValidationError({"report_topics": f"必答题“{item.get('code')}”要有题目。"})
        if len(title) > TOPIC_TITLE_MAX_LENGTH:
            raise ValidationError(
                {"report_topics": f"必答题题目不能超过 {TOPIC_TITLE_MAX_LENGTH} 个字符。"}
            )
        if len(str(item.get("hint") or "")) > TOPIC_HINT_MAX_LENGTH:
            raise ValidationError(
                {"report_topics": f"必答题提示不能超过 {TOPIC_HINT_MAX_LENGTH} 个字符。"}
            )


def validate_report_checks(checks: dict) -> None:
    """Known keys only, each a number in its range, and the length floor below the ceiling."""
    if not isinstance(checks, dict):
        raise ValidationError({"report_checks": "报告质量检查阈值格式不正确。"})
    for key, value in checks.items():
        if key not in REPORT_CHECK_KEYS:
            raise ValidationError({"report_checks": f"没有名为“{key}”的检查阈值。"})
        meaning, kind, lowest, highest = REPORT_CHECK_KEYS[key]
        # bool is an int in Python, but True is no threshold.
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is int and not (number_ok and float(value).is_integer()):
            raise ValidationError({"report_checks": f"“{meaning}”（{key}）必须是整数。"})
        if not number_ok:
            raise ValidationError({"report_checks": f"“{meaning}”（{key}）必须是数字。"})
        if not lowest <= value <= highest:
            raise ValidationError(
                {"report_checks": f"“{meaning}”（{key}）必须在 {lowest:g} 到 {highest:g} 之间。"}
            )
    merged = {**default_report_checks(), **checks}
    if merged["min_chars"] >= merged["max_chars"]:
        raise ValidationError(
            {"report_checks": "正文字数下限（min_chars）必须小于上限（max_chars）。"}
        )


def validate_report_due(due: datetime.date | None, year: int) -> None:
    """The report deadline falls in the round's year or the next (meetings run into spring)."""
    if due is None:
        return
    if not isinstance(due, datetime.date):
        raise ValidationError({"report_due": "报告提交截止日期格式不正确。"})
    if not year <= due.year <= year + 1:
        raise ValidationError(
            {"report_due": f"报告提交截止日期必须在 {year} 年或 {year + 1} 年之内。"}
        )
