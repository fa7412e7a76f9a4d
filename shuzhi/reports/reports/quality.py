"""Quality checks of a 述职报告, shown to the writer while writing and to the reviewer.

The practice's known failure is the report that only praises (一味评功摆好) or stays vague
(DOMAIN.md §4); burden-reduction rules favour short reports (§7). Each check here measures one
of these, returns ``ok`` or ``warn`` with ONE Chinese sentence that explains the figure, and
reads its threshold from the round (``Round.report_checks``, defaults in
:func:`shuzhi.cycles.policy.default_report_checks`). Only the carried-item check blocks
submission, and that rule is enforced in :func:`services.submit`, not here.

Words are counted on jieba's segmentation, so "我们" and "自我" are not mistaken for each other.
jieba's dictionary takes about a second to load; it is loaded lazily, once per process, and the
product's vocabulary is added to it at the same time.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shuzhi.cycles.policy import default_report_checks

OK = "ok"
WARN = "warn"

FIRST_PERSON = frozenset({"我", "我们", "本人", "我们的", "我的"})

# Words that speak of problems, shortcomings and their causes.
PROBLEM_WORDS = frozenset(
    {
        "问题",
        "不足",
        "差距",
        "短板",
        "弱项",
        "薄弱",
        "不够",
        "不到位",
        "不力",
        "不严",
        "不实",
        "不细",
        "不深",
        "不强",
        "不高",
        "滞后",
        "欠缺",
        "缺乏",
        "偏差",
        "原因",
        "根源",
        "反思",
        "失职",
        "软弱涣散",
        "形式主义",
        "官僚主义",
        "有待",
        "亟待",
        "未能",
        "没有",
        "落后",
        "失之于宽",
        "失之于软",
        "担当不够",
        "重视不够",
    }
)

# Words of self-praise: results, effects and the adjectives that usually carry them.
ACHIEVEMENT_WORDS = frozenset(
    {
        "成效",
        "成绩",
        "显著",
        "明显",
        "突出",
        "取得",
        "亮点",
        "经验",
        "成果",
        "荣获",
        "表彰",
        "圆满",
        "卓有成效",
        "硕果累累",
        "大幅",
        "全面",
        "大力",
        "扎实",
        "有力",
        "有效",
        "深入",
        "积极",
        "高度重视",
        "充分",
        "不断",
        "进一步",
        "显著提升",
        "良好",
        "优异",
        "成功",
    }
)

# Adjectives that stand in for figures (the vague report's vocabulary).
VAGUE_WORDS = frozenset(
    {
        "显著",
        "明显",
        "大力",
        "扎实",
        "有力",
        "有效",
        "深入",
        "积极",
        "充分",
        "不断",
        "进一步",
        "全面",
        "较好",
        "良好",
        "圆满",
        "卓有成效",
        "高度重视",
        "切实",
    }
)

# Figures, percentages and dates; a named place or organisation (…村, …社区, …党支部); a case.
CONCRETE_RE = re.compile(
    r"\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?"
    r"|\d+(?:\.\d+)?\s*(?:%|％|个百分点)"
    r"|\d+(?:\.\d+)?"
    r"|[一二两三四五六七八九十百千万]+(?:个|项|次|名|人|家|条|件|所|批|户|起)"
    r"|[\u4e00-\u9fff]{2,5}(?:村|社区|街道|镇|乡|县|区)(?:党委|党总支|党支部|党工委)?"
    r"|[\u4e00-\u9fff]{2,8}(?:党支部|党总支|公司|学校|医院)"
)
SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;\n]?")

_lock = threading.Lock()
_ready = False


def _jieba():
    """jieba with its dictionary loaded and our vocabulary added — once per process."""
    global _ready
    with warnings.catch_warnings():
        # jieba 0.42 compiles regexes with invalid escapes; its warnings are not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                for word in PROBLEM_WORDS | ACHIEVEMENT_WORDS | VAGUE_WORDS:
                    jieba.add_word(word, freq=20000)
                _ready = True
    return jieba


def warm_up() -> None:
    """Load the dictionary now (a worker or test can call this before timing a request)."""
    _jieba()


_warming: threading.Thread | None = None


def warm_up_in_background() -> None:
    """Start loading the dictionary in a thread, once per process.

    The list pages call this so that the dictionary is ready by the time the reader opens an
    editor or a report; it is never started while modules are being imported (a thread that
    imports jieba during another import can block on the import lock).
    """
    global _warming
    if _ready or _warming is not None:
        return
    with _lock:
        if _warming is None:
            _warming = threading.Thread(target=warm_up, name="jieba-warm-up", daemon=True)
            _warming.start()


@lru_cache(maxsize=8192)
def _cut(sentence: str) -> tuple[str, ...]:
    return tuple(w for w in _jieba().lcut(sentence) if w.strip() and not _is_punct(w))


def words(text: str) -> list[str]:
    """``text`` cut into words (punctuation and spaces dropped).

    Cut sentence by sentence and cached: the checks read the same text several times, and an
    autosaved draft differs from the last one in a sentence or two.
    """
    return [w for sentence in SENTENCE_RE.findall(text) for w in _cut(sentence)]


def _is_punct(word: str) -> bool:
    return all(not ch.isalnum() for ch in word)


def char_count(text: str) -> int:
    """Characters that count towards length: everything but whitespace."""
    return sum(1 for ch in text if not ch.isspace())


@dataclass(frozen=True)
class Check:
    """One check's verdict: ``level`` is ``ok`` or ``warn``; ``blocking`` when it stops a
    submission (only the carried items)."""

    code: str
    title: str
    level: str
    message: str
    value: float | int | None = None
    blocking: bool = False

    @property
    def ok(self) -> bool:
        return self.level == OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "level": self.level,
            "ok": self.ok,
            "message": self.message,
            "value": self.value,
            "blocking": self.blocking,
        }


def thresholds(round) -> dict[str, Any]:
    """The round's thresholds over the defaults (a round may set only some keys)."""
    return {**default_report_checks(), **(round.report_checks or {})}


def _per_1000(count: int, chars: int) -> float:
    return round(count * 1000 / chars, 1) if chars else 0.0


def _body_parts(content: dict) -> list[str]:
    sections = content.get("sections") or {}
    parts = [sections.get(code, "") for code in ("performance", "problems", "next_steps")]
    parts += [t.get("answer", "") for t in content.get("topics") or []]
    return [p for p in parts if p]


def check_first_person(content: dict, limits: dict) -> Check:
    text = "\n".join(_body_parts(content))
    chars = char_count(text)
    count = sum(1 for w in words(text) if w in FIRST_PERSON)
    rate = _per_1000(count, chars)
    need = float(limits["min_first_person_per_1000"])
    if rate >= need:
        message = f"第一人称（我、我们、本人）每千字出现 {rate} 次，是以述职人自己的口吻在讲。"
        return Check("first_person", "第一人称", OK, message, rate)
    message = (
        f"第一人称每千字只出现 {rate} 次（要求不少于 {need:g} 次），"
        "请用“我”讲清自己做了什么、负什么责任。"
    )
    return Check("first_person", "第一人称", WARN, message, rate)


def _problem_chars(content: dict) -> tuple[int, int, int, int]:
    """(chars about problems, total chars, problem words, achievement words)."""
    sections = content.get("sections") or {}
    problems = sections.get("problems", "")
    about = char_count(problems)
    total = char_count("".join(_body_parts(content)))
    problem_words = achievement_words = 0
    for word in words(problems):
        problem_words += word in PROBLEM_WORDS
        achievement_words += word in ACHIEVEMENT_WORDS
    others = [p for code, p in sections.items() if code != "problems" and p]
    others += [t.get("answer", "") for t in content.get("topics") or []]
    for part in others:
        for sentence in SENTENCE_RE.findall(part):
            cut = words(sentence)
            p = sum(w in PROBLEM_WORDS for w in cut)
            a = sum(w in ACHIEVEMENT_WORDS for w in cut)
            problem_words += p
            achievement_words += a
            if p > a:
                about += char_count(sentence)
    return about, total, problem_words, achievement_words


def check_problem_share(content: dict, limits: dict) -> Check:
    about, total, p_words, a_words = _problem_chars(content)
    share = round(about / total, 2) if total else 0.0
    need = float(limits["min_problem_share"])
    percent = f"{share:.0%}"
    if share >= need and p_words >= a_words / 3:
        message = (
            f"讲问题和原因的篇幅约占 {percent}，问题类词语 {p_words} 个、成绩类词语 "
            f"{a_words} 个，没有只讲成绩。"
        )
        return Check("problem_share", "问题与原因", OK, message, share)
    message = (
        f"讲问题和原因的篇幅只占 {percent}（要求不少于 {need:.0%}），成绩类词语 {a_words} 个"
        f"而问题类词语仅 {p_words} 个，请把存在的问题和深层原因讲透，不要一味评功摆好。"
    )
    return Check("problem_share", "问题与原因", WARN, message, share)


def check_concreteness(content: dict, limits: dict) -> Check:
    text = "\n".join(_body_parts(content))
    chars = char_count(text)
    concrete = len(CONCRETE_RE.findall(text))
    vague = sum(1 for w in words(text) if w in VAGUE_WORDS)
    rate = _per_1000(concrete, chars)
    need = float(limits["min_concrete_per_1000"])
    if rate >= need:
        message = (
            f"每千字有 {rate} 处数字、日期、具体单位或案例，用事实说话（空泛形容词 {vague} 个）。"
        )
        return Check("concreteness", "具体程度", OK, message, rate)
    message = (
        f"每千字只有 {rate} 处数字、日期、具体单位或案例（要求不少于 {need:g} 处），"
        f"而“扎实、显著”之类的形容词有 {vague} 个，请用数据和实例代替形容词。"
    )
    return Check("concreteness", "具体程度", WARN, message, rate)


def check_topics(content: dict, limits: dict) -> Check:
    topics = content.get("topics") or []
    if not topics:
        return Check("topics", "必答题", OK, "本年度没有设置必答题。", 0)
    need = int(limits.get("min_topic_chars", 60))
    thin = [
        t.get("title") or t.get("code", "")
        for t in topics
        if char_count(t.get("answer", "")) < need
        or t.get("answer", "").strip() == t.get("title", "").strip()
    ]
    if not thin:
        message = f"{len(topics)} 道必答题都已作答，且每题不少于 {need} 字。"
        return Check("topics", "必答题", OK, message, len(topics))
    message = f"必答题“{'”“'.join(thin)}”还没有作答或不足 {need} 字，请逐题实打实回答。"
    return Check("topics", "必答题", WARN, message, len(topics) - len(thin))


def check_carried(content: dict, limits: dict) -> Check:
    carried = content.get("carried") or []
    if not carried:
        return Check("carried", "上年度问题", OK, "上年度没有需要说明整改情况的问题。", 0, True)
    missing = [
        str(row.get("serial") or row.get("problem"))
        for row in carried
        if not (row.get("answer", "").strip() and row.get("evidence", "").strip())
    ]
    if not missing:
        message = f"上年度 {len(carried)} 项问题都已说明整改情况和佐证。"
        return Check("carried", "上年度问题", OK, message, len(carried), True)
    message = (
        f"上年度问题还有 {len(missing)} 项（第 {'、'.join(missing)} 号）没有填写整改情况和佐证，"
        "填完才能提交。"
    )
    return Check("carried", "上年度问题", WARN, message, len(carried) - len(missing), True)


def check_length(content: dict, limits: dict) -> Check:
    chars = char_count("".join(_body_parts(content)))
    most, least = int(limits["max_chars"]), int(limits.get("min_chars", 0))
    if chars > most:
        message = f"正文共 {chars} 字，超过了 {most} 字的上限，请删繁就简、突出重点。"
        return Check("length", "篇幅", WARN, message, chars)
    if chars < least:
        message = f"正文只有 {chars} 字，少于 {least} 字，难以讲清履职情况和问题。"
        return Check("length", "篇幅", WARN, message, chars)
    message = f"正文共 {chars} 字，在 {least}–{most} 字的要求之内。"
    return Check("length", "篇幅", OK, message, chars)


CHECKS = (
    check_first_person,
    check_problem_share,
    check_concreteness,
    check_topics,
    check_carried,
    check_length,
)


def run_checks(content: dict, round) -> list[Check]:
    """Every check on ``content`` (the shape of :func:`services.snapshot`) for ``round``."""
    limits = thresholds(round)
    return [check(content, limits) for check in CHECKS]


def summary(checks: Iterable[Check]) -> tuple[int, int]:
    """(number passed, number of checks)."""
    items = list(checks)
    return sum(c.ok for c in items), len(items)
