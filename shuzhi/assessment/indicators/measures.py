"""What an indicator measures: traces of activity, app usage, or outcomes.

A reviewer does not refuse an item because a word such as 批示 or 会议 appears in it; they ask
what is *scored*. "领导批示交办的群众诉求办结率" scores how many petitions were settled (an
outcome) although it names 批示; "党建专题会议召开情况" with the standard "每季度召开…不少于1次"
scores meetings held, whatever its name says. So:

- the name and the scoring standard are cut into phrases (at ，。；、); clauses that only say how a
  figure is verified ("以会议记录为准", "经纪委核验") are left out;
- in each phrase the terms of the vocabulary (``measures.toml``) are found, longest first, plus
  requirements such as "不少于4次"; Chinese puts the measured thing last, so the phrase measures
  what its *last* term measures ("完成""次数" take the class of the term just before them);
- any app-usage term decides at once (the 2024 rules forbid app usage as an indicator, whatever
  else the item says); otherwise the standard decides when it says anything, outcome phrases
  against trace phrases, and the name only when the standard is silent.

The result names the words that decided, so the organiser sees why, and a refused item carries
an outcome rewording as an example.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TRACE = "trace"
APP = "app"
OUTCOME = "outcome"
UNCLEAR = "unclear"

CLASS_LABELS = {
    TRACE: "活动与留痕",
    APP: "应用程序使用情况",
    OUTCOME: "工作结果",
    UNCLEAR: "未识别",
}

_LEXICON = Path(__file__).with_name("measures.toml")
_PHRASE_SPLIT = re.compile(r"[，。；;,、\n]+")
_VERIFY_SPAN = re.compile(r"以[^，。；;,]*?为准")
_NUMBER = r"[\d一二两三四五六七八九十百千万.]+"


@dataclass(frozen=True)
class Term:
    """One vocabulary term: its class and category (a code of the 留痕 vocabulary)."""

    text: str
    cls: str
    category: str


@dataclass
class Measure:
    """What an item measures, with the words that decided and an outcome rewording when it is
    refused."""

    cls: str
    words: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    rewording: str = ""

    @property
    def refused(self) -> bool:
        return self.cls in (TRACE, APP)

    @property
    def label(self) -> str:
        return CLASS_LABELS[self.cls]


@cache
def lexicon() -> dict:
    """The vocabulary file, read once per process."""
    with _LEXICON.open("rb") as handle:
        return tomllib.load(handle)


def _terms(extra: tuple[tuple[str, str, str], ...]) -> list[Term]:
    data = lexicon()
    terms: dict[str, Term] = {}
    for cls in (TRACE, APP, OUTCOME):
        for category, words in data[cls].items():
            for word in words:
                terms.setdefault(word, Term(word, cls, category))
    app_words = [t for t in terms.values() if t.cls == APP]
    for word, cls, category in extra:
        # An administrator's word may refine a built-in one; it never turns a result into a
        # trace, and a word that names app usage ("定位上传") stays app usage.
        if cls == TRACE and any(t.text in word for t in app_words):
            cls, category = APP, "app_usage"
        terms.setdefault(word, Term(word, cls, category))
    return sorted(terms.values(), key=lambda t: -len(t.text))


@cache
def _vocabulary(extra: tuple[tuple[str, str, str], ...]) -> tuple[list[Term], frozenset, frozenset]:
    data = lexicon()["transparent"]
    return _terms(extra), frozenset(data["outcome"]), frozenset(data["counting"])


@cache
def _count_re() -> re.Pattern[str]:
    units = sorted(lexicon()["counts"]["units"], key=len, reverse=True)
    joined = "|".join(map(re.escape, units))
    return re.compile(
        rf"(?:不少于|不低于|至少|达到)\s*{_NUMBER}\s*(?:{joined})|{_NUMBER}\s*(?:{joined})以上"
    )


def policy_terms(vocabulary: dict) -> tuple[tuple[str, str, str], ...]:
    """The governance policy's 留痕 words as extra terms (``app_usage`` means app usage)."""
    extra = []
    for code, entry in (vocabulary or {}).items():
        for word in entry.get("words", []):
            if word:
                extra.append((word, APP if code == "app_usage" else TRACE, code))
    return tuple(sorted(extra))


@dataclass(frozen=True)
class _Signal:
    start: int
    end: int
    text: str
    cls: str
    category: str


def _signals(phrase: str, terms: list[Term], outcome_words, counting) -> list[_Signal]:
    taken = [False] * len(phrase)
    found: list[_Signal] = []
    for match in _count_re().finditer(phrase):
        found.append(_Signal(match.start(), match.end(), match.group(), TRACE, "counts"))
        for i in range(match.start(), match.end()):
            taken[i] = True
    transparent = [(w, "outcome") for w in outcome_words] + [(w, "counting") for w in counting]
    vocab = [(t.text, t) for t in terms] + transparent
    vocab.sort(key=lambda pair: -len(pair[0]))
    for word, what in vocab:
        start = phrase.find(word)
        while start >= 0:
            end = start + len(word)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                if isinstance(what, Term):
                    found.append(_Signal(start, end, word, what.cls, what.category))
                else:
                    found.append(_Signal(start, end, word, what, what))
            start = phrase.find(word, start + 1)
    found.sort(key=lambda s: s.start)
    resolved: list[_Signal] = []
    for signal in found:
        if signal.cls in ("outcome", "counting") and signal.category in ("outcome", "counting"):
            before = [s for s in resolved if s.cls in (TRACE, APP, OUTCOME)]
            if signal.category == "outcome":
                # "学习笔记完成情况" completes notes; "任务按期完成" completes work.
                near = before[-1] if before and signal.start - before[-1].end <= 2 else None
                cls, category = (near.cls, near.category) if near else (OUTCOME, "results")
            else:
                # "会议次数" counts meetings, "办结件数" results, "调研次数" activity.
                near = before[-1] if before else None
                cls, category = (near.cls, near.category) if near else (TRACE, "counts")
            signal = _Signal(signal.start, signal.end, signal.text, cls, category)
        resolved.append(signal)
    return resolved


def _phrases(text: str) -> list[str]:
    verify = lexicon()["verification"]["words"]
    text = _VERIFY_SPAN.sub("，", re.sub(r"\s+", "", text or ""))
    return [p for p in _PHRASE_SPLIT.split(text) if p and not any(w in p for w in verify)]


def classify(name: str, standard: str = "", *, vocabulary: dict | None = None) -> Measure:
    """What the item named ``name`` with scoring standard ``standard`` measures."""
    terms, outcome_words, counting = _vocabulary(policy_terms(vocabulary or {}))
    parts = {}
    for part, text in (("name", name), ("standard", standard)):
        parts[part] = [_signals(p, terms, outcome_words, counting) for p in _phrases(text)]
    every = [s for phrases in parts.values() for signals in phrases for s in signals]
    app = [s for s in every if s.cls == APP]
    if app:
        return _measure(APP, app)
    for part in ("standard", "name"):
        heads = [signals[-1] for signals in parts[part] if signals]
        if not heads:
            continue
        outcome = [s for s in heads if s.cls == OUTCOME]
        trace = [s for s in heads if s.cls == TRACE]
        if outcome and len(outcome) >= len(trace):
            return _measure(OUTCOME, outcome)
        if trace:
            deciding = [
                s
                for signals in parts[part]
                if signals and signals[-1].cls == TRACE
                for s in signals
                if s.cls == TRACE
            ]
            return _measure(TRACE, deciding)
    return Measure(UNCLEAR)


def _measure(cls: str, signals: list[_Signal]) -> Measure:
    words: list[str] = []
    categories: dict[str, list[str]] = {}
    for s in signals:
        if s.text not in words:
            words.append(s.text)
        if cls != OUTCOME:
            category = s.category
            if cls == APP:
                category = "app_usage" if category not in lexicon()["rewording"] else category
            bucket = categories.setdefault(category, [])
            if s.text not in bucket:
                bucket.append(s.text)
    rewording = ""
    if cls in (TRACE, APP):
        examples = lexicon()["rewording"]
        first = next((c for c in categories if c in examples), "records")
        rewording = examples[first]
    return Measure(cls, words, categories, rewording)
