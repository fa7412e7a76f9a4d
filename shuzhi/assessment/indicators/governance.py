"""Governance checks on indicator sets: the burden-reduction rules (DOMAIN.md §7) as code.

Four checks, each a policy with a default, a one-sentence explanation in Chinese and the rule
it applies:

- ``too_many``   — more items than the limit for the host's level (越往下越简化);
- ``escalation`` — 层层加码: a derived set adds items or gives more points than its parent;
- ``trace``      — items that measure traces of activity or app usage rather than outcomes
  (``measures``), refused when an item is added or edited unless an organiser overrides the
  refusal with a written reason;
- ``overlap``    — 多头考核: other sets assessing the same units in the same year with
  similar items, listed so they can be merged.

The check functions are pure: they take plain ``ItemView`` tuples and the policy dict and
return ``Finding`` values, so they are tested without a database. :func:`run_checks` in
``services`` loads the data, calls them and stores the findings whenever a set is saved.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError

from shuzhi.assessment.indicators import measures

# --- The rules cited ---------------------------------------------------------------------------

RULE_2019 = (
    "中共中央办公厅《关于解决形式主义突出问题为基层减负的通知》（2019年）："
    "严格控制督查检查考核总量和频次，不得层层加码；不能简单以留痕多少来评判工作好坏。"
)
RULE_2024 = (
    "中共中央办公厅、国务院办公厅《整治形式主义为基层减负若干规定》（2024年）："
    "规范督查检查考核，越往下越简化，不得多头考核、重复考核；不得以开会发文、拍照留痕、"
    "学习笔记评判工作，不得把政务应用程序的点赞、转发、投票、学习时长、登录、在线时长等"
    "使用情况作为考核指标。"
)

CHECKS: dict[str, dict[str, str]] = {
    "too_many": {
        "title": "指标数量超过本级上限",
        "explain": "考核指标越往下越简化，每一级指标体系的指标数量不得超过本级上限。",
        "rule": RULE_2024,
    },
    "escalation": {
        "title": "层层加码",
        "explain": (
            "派生的指标体系中，凡不是由上级指标派生的指标即为新增，凡由同一上级指标派生的"
            "各项分值合计高于该上级指标分值即为加码，两者都属层层加码。"
        ),
        "rule": RULE_2019,
    },
    "trace": {
        "title": "以留痕评判工作",
        "explain": (
            "以开会发文、拍照留痕、学习笔记、领导批示、媒体报道或应用程序使用情况"
            "评判工作的指标不予采用。"
        ),
        "rule": RULE_2024,
    },
    "overlap": {
        "title": "多头考核",
        "explain": ("同一年度内对同一类组织由多个指标体系重复考核的相近指标应当合并，只考一次。"),
        "rule": RULE_2024,
    },
}

# --- The policy and its defaults ---------------------------------------------------------------

# The vocabulary of 留痕 indicators, by what they judge. Data: an administrator extends it
# through a GovernancePolicy without a code change.
DEFAULT_TRACE_VOCABULARY: dict[str, dict] = {
    "meetings": {
        "label": "开会次数",
        "words": ["开会次数", "召开会议", "会议次数", "召开次数", "组织会议", "会议记录"],
    },
    "documents": {
        "label": "发文数量",
        "words": ["发文", "印发文件", "文件数量", "出台文件", "制发文件"],
    },
    "photos": {
        "label": "拍照留痕",
        "words": ["拍照", "照片", "图片资料", "影像资料", "留痕", "定位上传", "视频资料"],
    },
    "notes": {
        "label": "学习笔记",
        "words": ["学习笔记", "读书笔记", "心得体会篇数", "笔记"],
    },
    "records": {
        "label": "台账记录",
        "words": ["台账", "工作记录", "档案资料", "记录本", "资料齐全", "痕迹"],
    },
    "instructions": {
        "label": "领导批示",
        "words": ["领导批示", "批示", "肯定性批示"],
    },
    "media": {
        "label": "媒体报道",
        "words": ["媒体报道", "宣传报道", "上稿", "新闻报道", "信息报送数量", "被报道"],
    },
    "app_usage": {
        "label": "应用程序使用情况",
        "words": [
            "点赞",
            "转发",
            "分享",
            "投票数",
            "网络投票",
            "学习时长",
            "学习积分",
            "登录",
            "在线时长",
            "打卡",
            "签到",
            "阅读量",
            "关注量",
            "下载量",
            "积分排名",
        ],
    },
}


def default_policy() -> dict:
    """The governance policy used when no ``GovernancePolicy`` overrides it.

    ``too_many.max_items_by_depth``: the item limit by the host's depth in the tree (1 =
    province); deeper hosts use ``max_items_deeper``. ``escalation.allowed_new_items``: how
    many items a derived set may add (none). ``trace.warn_process_kind``: flag a process item
    even when its text matches nothing. ``overlap.min_similarity``: the share of shared words
    (Jaccard) from which two items count as the same. ``scoring``: whether self scores need
    evidence (no — no mandatory uploads) and the cap on approved bonus points.
    """
    return {
        "too_many": {
            "enabled": True,
            "max_items_by_depth": {"1": 30, "2": 25, "3": 20, "4": 15},
            "max_items_deeper": 10,
        },
        "escalation": {"enabled": True, "allowed_new_items": 0},
        "trace": {
            "enabled": True,
            "warn_process_kind": True,
            "vocabulary": copy.deepcopy(DEFAULT_TRACE_VOCABULARY),
        },
        "overlap": {"enabled": True, "min_similarity": 0.5},
        "scoring": {"evidence_required": False, "bonus_cap": "5"},
    }


def merge_policy(base: dict, override: dict | None) -> dict:
    """``base`` with ``override`` laid over it key by key (nested dicts merge, others replace)."""
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_policy(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def validate_policy(policy: dict) -> None:
    """Refuse a policy that cannot work, with Chinese messages per part."""
    errors: dict[str, str] = {}
    limits = policy.get("too_many", {})
    try:
        values = [int(v) for v in limits.get("max_items_by_depth", {}).values()]
        values.append(int(limits.get("max_items_deeper", 0)))
        if any(v < 1 for v in values):
            raise ValueError
    except (TypeError, ValueError):
        errors["too_many"] = "各级指标数量上限必须是正整数。"
    try:
        similarity = float(policy.get("overlap", {}).get("min_similarity", 0.5))
        if not 0 < similarity <= 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["overlap"] = "相似度阈值必须大于 0 且不超过 1。"
    vocabulary = policy.get("trace", {}).get("vocabulary", {})
    if not isinstance(vocabulary, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("words"), list) for v in vocabulary.values()
    ):
        errors["trace"] = "留痕词表格式不正确：每类需要名称和词语列表。"
    try:
        if Decimal(str(policy.get("scoring", {}).get("bonus_cap", "0"))) < 0:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["scoring"] = "加分上限必须是非负数。"
    if errors:
        raise ValidationError(errors)


# --- Plain values the checks work on -----------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    """What the checks need to know about an item."""

    id: int | None
    code: str
    name: str
    description: str = ""
    scoring_guide: str = ""
    kind: str = "outcome"
    max_points: Decimal = Decimal("0")
    derived_from_id: int | None = None
    override_reason: str = ""


@dataclass(frozen=True)
class SetView:
    """What the checks need to know about a set (for 多头考核: another set and its items)."""

    id: int | None
    title: str
    host_name: str
    host_path: str
    items: tuple[ItemView, ...] = ()


@dataclass
class Finding:
    """One result of a check; ``severity`` is ``error`` (blocks publishing) or ``warning``."""

    code: str
    severity: str
    message: str
    item_id: int | None = None
    other_set_id: int | None = None
    details: dict = field(default_factory=dict)

    @property
    def rule(self) -> str:
        return CHECKS[self.code]["rule"]


# --- too_many ----------------------------------------------------------------------------------


def item_limit(policy: dict, host_depth: int) -> int:
    """The most items a set hosted at ``host_depth`` may have (越往下越简化)."""
    limits = policy["too_many"]
    by_depth = limits.get("max_items_by_depth", {})
    value = by_depth.get(str(host_depth))
    if value is None:
        value = limits.get("max_items_deeper", 10)
    return int(value)


def check_too_many(
    items: Sequence[ItemView],
    *,
    host_depth: int,
    policy: dict,
    noun: str = "指标",
    whole: str = "指标体系",
) -> list[Finding]:
    """More items than the host's level allows. ``noun``/``whole`` name what is counted, so
    the year's key-task lists (``yearplan``) apply the same rule in their own words."""
    if not policy["too_many"].get("enabled", True):
        return []
    limit = item_limit(policy, host_depth)
    if len(items) <= limit:
        return []
    return [
        Finding(
            "too_many",
            "error",
            f"本{whole}有 {len(items)} 项{noun}，超过本级上限 {limit} 项，请精简 "
            f"{len(items) - limit} 项。",
            details={"count": len(items), "limit": limit},
        )
    ]


# --- escalation (层层加码) --------------------------------------------------------------------


def check_escalation(
    items: Sequence[ItemView],
    parent_items: Sequence[ItemView] | None,
    *,
    policy: dict,
    noun: str = "指标",
    measure: str = "分值",
    points: str = "{} 分",
) -> list[Finding]:
    """Compare a derived set with its parent.

    An item whose ``derived_from_id`` is not an item of the parent is added (新增); the items
    derived from one parent item may together carry at most that item's points (加码 beyond
    it). Dropping items and lowering points are allowed — that is how a lower level simplifies.
    ``noun``, ``measure`` and ``points`` (a format for a value) name the items and their
    points in the messages (key tasks and their weights, for ``yearplan``).
    """
    if parent_items is None or not policy["escalation"].get("enabled", True):
        return []
    findings: list[Finding] = []
    parents = {p.id: p for p in parent_items}
    added = [item for item in items if item.derived_from_id not in parents]
    allowed = int(policy["escalation"].get("allowed_new_items", 0))
    if len(added) > allowed:
        for item in added:
            findings.append(
                Finding(
                    "escalation",
                    "error",
                    f"{noun}“{item.name}”不是由上级{noun}派生的，属于新增{noun}（层层加码）。",
                    item_id=item.id,
                    details={"kind": "added"},
                )
            )
    totals: dict[int, Decimal] = {}
    for item in items:
        key = item.derived_from_id
        if key is not None and key in parents:
            totals[key] = totals.get(key, Decimal("0")) + item.max_points
    for parent_id, total in totals.items():
        parent = parents[parent_id]
        if total > parent.max_points:
            children = [i for i in items if i.derived_from_id == parent_id]
            findings.append(
                Finding(
                    "escalation",
                    "error",
                    f"由上级{noun}“{parent.name}”（{points.format(parent.max_points)}）派生的"
                    f"{noun}合计 {points.format(total)}，高于上级{measure}（层层加码）。",
                    item_id=children[0].id,
                    details={
                        "kind": "raised",
                        "parent_points": str(parent.max_points),
                        "total": str(total),
                    },
                )
            )
    return findings


# --- trace (留痕) ------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def classify(item: ItemView, policy: dict) -> measures.Measure:
    """What the item measures, read from its name and its scoring standard (the description
    counts as part of the standard), with the policy's own 留痕 words added."""
    standard = "，".join(t for t in (item.description, item.scoring_guide) if t)
    return measures.classify(item.name, standard, vocabulary=policy["trace"].get("vocabulary", {}))


def trace_hits(item: ItemView, policy: dict) -> dict[str, list[str]]:
    """The words that make the item a 留痕 or app-usage indicator, by category (empty when it
    measures outcomes)."""
    measure = classify(item, policy)
    return measure.categories if measure.refused else {}


def _labels(categories: dict[str, list[str]], vocabulary: dict) -> str:
    labels = []
    for code in categories:
        label = vocabulary.get(code, {}).get("label") or EXTRA_LABELS.get(code, code)
        if label not in labels:
            labels.append(label)
    return "、".join(labels)


# Labels of the categories the measures vocabulary has beyond the policy's.
EXTRA_LABELS = {"counts": "活动次数"}


def check_trace_item(item: ItemView, *, policy: dict) -> list[Finding]:
    """Refuse an item that measures traces of activity or app usage rather than outcomes.

    The class comes from what the name and scoring standard score (``measures``), whatever kind
    the item declares (calling a count of meetings an outcome does not make it one). A refused
    item carries an outcome rewording as an example; an organiser's written reason
    (``override_reason``) turns the refusal into a warning that the printed report shows. A
    process item that measures nothing recognised is flagged so the organiser states what
    result it measures.
    """
    trace = policy["trace"]
    if not trace.get("enabled", True):
        return []
    measure = classify(item, policy)
    vocabulary = trace.get("vocabulary", {})
    if measure.refused:
        labels = _labels(measure.categories, vocabulary)
        words = "”“".join(measure.words)
        kind = "过程性" if item.kind == "process" else "结果性"
        what = "应用程序使用情况" if measure.cls == measures.APP else f"{labels}等留痕"
        details = {
            "hits": measure.categories,
            "class": measure.cls,
            "words": measure.words,
            "rewording": measure.rewording,
        }
        if item.override_reason:
            details["override_reason"] = item.override_reason
            return [
                Finding(
                    "trace",
                    "warning",
                    f"指标“{item.name}”（声明为{kind}指标）衡量的是{what}（起决定作用的词："
                    f"“{words}”），组织者说明理由后采用：{item.override_reason.rstrip('。')}。",
                    item_id=item.id,
                    details=details,
                )
            ]
        return [
            Finding(
                "trace",
                "error",
                f"指标“{item.name}”（声明为{kind}指标）衡量的是{what}（起决定作用的词："
                f"“{words}”），不予采用，可改为考结果，例如“{measure.rewording}”。",
                item_id=item.id,
                details=details,
            )
        ]
    if item.kind == "process" and trace.get("warn_process_kind", True):
        return [
            Finding(
                "trace",
                "warning",
                f"指标“{item.name}”是过程性指标，请在评分标准中写明以什么工作实绩评判。",
                item_id=item.id,
                details={"hits": {}, "class": measure.cls, "words": measure.words},
            )
        ]
    return []


def explain(item: ItemView, policy: dict) -> tuple[str, str, measures.Measure]:
    """(verdict, one-sentence message, measure) for scripts and the API: ``refuse`` or ``ok``."""
    measure = classify(item, policy)
    words = "”“".join(measure.words)
    if measure.refused:
        finding = check_trace_item(item, policy=policy)[0]
        verdict = "ok" if finding.severity == "warning" else "refuse"
        return verdict, finding.message, measure
    if measure.cls == measures.OUTCOME:
        message = f"指标“{item.name}”衡量的是工作结果（起决定作用的词：“{words}”），可以采用。"
    else:
        message = f"指标“{item.name}”没有以留痕或应用程序使用情况评判工作的用语，可以采用。"
    return "ok", message, measure


def check_trace(items: Iterable[ItemView], *, policy: dict) -> list[Finding]:
    findings: list[Finding] = []
    for item in items:
        findings.extend(check_trace_item(item, policy=policy))
    return findings


def explain_row(name: str, standard: str = "", policy: dict | None = None) -> dict:
    """One indicator of a list (name and scoring standard) judged as a plain dict: ``verdict``
    (``ok`` or ``refuse``), ``measures`` (trace, app, outcome or unclear), the one-sentence
    ``message``, the deciding ``words`` and the ``rewording`` offered when refused."""
    view = ItemView(id=None, code="", name=name.strip(), scoring_guide=standard.strip())
    verdict, message, measure = explain(view, policy or default_policy())
    # A row of a list declares no kind: say nothing about one.
    message = message.replace("（声明为结果性指标）", "")
    return {
        "name": view.name,
        "verdict": verdict,
        "measures": measure.cls,
        "message": message,
        "words": measure.words,
        "rewording": measure.rewording,
    }


# --- overlap (多头考核) ------------------------------------------------------------------------

# Words that say nothing about what is assessed; without them two items that share only
# "工作" or "情况" do not look alike.
STOP_WORDS_TEXT = (
    "的 和 与 及 等 情况 工作 开展 落实 加强 推进 建设 全面 有效 进一步 各项"
    " 相关 是否 有关 以及 主要 重点 认真 按时 按要求 要求 做好 抓好 完成"
)
STOP_WORDS = frozenset(STOP_WORDS_TEXT.split())


@lru_cache(maxsize=4096)
def tokens(text: str) -> frozenset[str]:
    """The meaningful words of ``text``, cut with jieba (search mode, so 基层党组织 also
    yields 党组织)."""
    import jieba

    words = set()
    for word in jieba.cut_for_search(_normalise(text)):
        word = word.strip()
        if len(word) >= 2 and word not in STOP_WORDS and not word.isdigit():
            words.add(word)
    return frozenset(words)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the words of two item names (0 to 1)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def check_overlap(
    items: Sequence[ItemView], others: Sequence[SetView], *, policy: dict
) -> list[Finding]:
    """List, for every other set assessing the same units in the same year, the pairs of items
    alike enough to merge."""
    overlap = policy["overlap"]
    if not overlap.get("enabled", True):
        return []
    threshold = float(overlap.get("min_similarity", 0.5))
    findings: list[Finding] = []
    for other in others:
        pairs = []
        for item in items:
            for theirs in other.items:
                score = similarity(item.name, theirs.name)
                if score >= threshold:
                    pairs.append(
                        {
                            "item_id": item.id,
                            "item": item.name,
                            "other_item_id": theirs.id,
                            "other_item": theirs.name,
                            "similarity": round(score, 2),
                        }
                    )
        if pairs:
            names = "；".join(f"“{p['item']}”≈“{p['other_item']}”" for p in pairs[:5])
            more = f" 等 {len(pairs)} 对" if len(pairs) > 5 else ""
            findings.append(
                Finding(
                    "overlap",
                    "warning",
                    f"与{other.host_name}的“{other.title}”有相近指标：{names}{more}，"
                    "建议合并，只考一次。",
                    other_set_id=other.id,
                    details={"pairs": pairs},
                )
            )
    return findings


# --- All together ------------------------------------------------------------------------------


def run_all(
    items: Sequence[ItemView],
    *,
    host_depth: int,
    parent_items: Sequence[ItemView] | None,
    others: Sequence[SetView],
    policy: dict,
) -> list[Finding]:
    """Every check on one set, in the order the report prints them."""
    return [
        *check_too_many(items, host_depth=host_depth, policy=policy),
        *check_escalation(items, parent_items, policy=policy),
        *check_trace(items, policy=policy),
        *check_overlap(items, others, policy=policy),
    ]
