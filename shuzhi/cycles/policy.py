"""Round policies as data, with the defaults of DOMAIN.md §5.

A round stores its policies in JSON fields; these functions give the defaults and validate
what an organiser sets, so no rule is a constant in code.
"""

from __future__ import annotations

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
    - ``min_chars``: below this a report is too thin to judge;
    - ``min_first_person_per_1000``: first-person words (我、本人、我们) per 1,000 characters;
    - ``min_problem_share``: share of the text about problems and causes (a praise-only report
      falls below it);
    - ``min_concrete_per_1000``: figures, cases and named units per 1,000 characters;
    - ``min_topic_chars``: an answer to a must-answer topic shorter than this is not an answer.
    """
    return {
        "max_chars": 4000,
        "min_chars": 800,
        "min_first_person_per_1000": 2.0,
        "min_problem_share": 0.15,
        "min_concrete_per_1000": 4.0,
        "min_topic_chars": 60,
    }
