"""Reading Chinese report text the way a reviewer does: sentences, problem items, concrete facts.

Shared by the report checks (``quality``) and the critique check. The vocabulary lives in
``lexicon.toml`` (data, maintained without code changes). Concreteness comes from parts of
speech (jieba.posseg): a figure with its measure word, a named place, organisation or person, a
case ("张某某") is concrete; "全镇""一批""多次" are not.

jieba's dictionary takes one to two seconds to load: it is loaded lazily, once per process, on
the first call that needs it (never at import), and the product's vocabulary is added then.
"""

from __future__ import annotations

import re
import threading
import tomllib
import warnings
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

_LEXICON = Path(__file__).with_name("lexicon.toml")
_lock = threading.Lock()
_ready = False

SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;\n]?")
# Markers that start an item of a list: 一是、（一）、1.、其一、第一，
_ITEM_START = re.compile(
    r"(?:^|(?<=[。；;：:]))\s*(?=[一二三四五六七八九十]是|（[一二三四五六七八九十\d]+）"
    r"|\([一二三四五六七八九十\d]+\)|\d{1,2}[\.、．](?!\d)|其[一二三四五六]|第[一二三四五六七八九十]，)"
)
_ENUMERATION = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|（[一二三四五六七八九十\d]+）|\([一二三四五六七八九十\d]+\)"
    r"|\d{1,2}[\.、．](?!\d)|[一二三四五六七八九十]+、|其[一二三四五六]|第[一二三四五六七八九十]，)"
)
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|个百分点)?")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_CN_COUNT = re.compile(
    r"[两二三四五六七八九十百千万][一二三四五六七八九十百千万零]*"
    r"[个项次名人家条件所户起村座份篇场期天位支]"
)
_CASE = re.compile(r"[\u4e00-\u9fff][某ＸX]{1,2}")
PLACE_ENDINGS = frozenset("省市县区镇乡村街道社区湾庄屯寨坪岭山河湖江塘桥岗沟坝州")
NAME_TAGS = frozenset({"ns", "nt", "nr", "nrt", "nrfg"})
_CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def lexicon() -> dict[str, list[str]]:
    """The vocabulary file (``lexicon.toml``), read once per process."""
    with _LEXICON.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return {key: list(dict.fromkeys(value)) for key, value in data.items()}


def jieba_module():
    """jieba with its dictionary loaded and our vocabulary added — once per process."""
    global _ready
    with warnings.catch_warnings():
        # jieba 0.42 compiles regexes with invalid escapes; its warnings are not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba
        import jieba.posseg

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                words = lexicon()
                for key in ("empty_self_criticism", "praise", "problem_markers", "owner_words"):
                    for word in words[key]:
                        if 1 < len(word) <= 4:
                            jieba.add_word(word, freq=20000)
                _ready = True
    return jieba


def is_ready() -> bool:
    return _ready


@lru_cache(maxsize=8192)
def tags(sentence: str) -> tuple[tuple[str, str], ...]:
    """``(word, part of speech)`` of one sentence (cached: drafts differ in a sentence or two)."""
    jieba = jieba_module()
    return tuple((p.word, p.flag) for p in jieba.posseg.cut(sentence))


@lru_cache(maxsize=8192)
def cut(sentence: str) -> tuple[str, ...]:
    return tuple(w for w in jieba_module().lcut(sentence) if w.strip() and _is_word(w))


def _is_word(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


def words(text: str) -> list[str]:
    """``text`` cut into words (punctuation and spaces dropped), sentence by sentence."""
    return [w for sentence in sentences(text) for w in cut(sentence)]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_RE.findall(text or "") if s.strip()]


def char_count(text: str) -> int:
    """Characters that count towards length: everything but whitespace."""
    return sum(1 for ch in text or "" if not ch.isspace())


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def found(text: str, key: str) -> list[str]:
    """The phrases of lexicon list ``key`` found in ``text`` (longest first, no overlaps)."""
    rest = compact(text)
    hits = []
    for phrase in sorted(lexicon()[key], key=len, reverse=True):
        if phrase and phrase in rest:
            hits.append(phrase)
            rest = rest.replace(phrase, "\0")
    return hits


def strip_enumeration(text: str) -> str:
    return _ENUMERATION.sub("", text or "").strip()


def items(text: str) -> list[str]:
    """The items of a list written as paragraphs, 一是/二是, （一）, 1. …; a paragraph without
    markers is one item. Headings (short lines without a full stop) are dropped."""
    result: list[str] = []
    for paragraph in (text or "").split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        parts = [p.strip() for p in _ITEM_START.split(paragraph) if p and p.strip()]
        if len(parts) == 1 and not _ENUMERATION.match(paragraph):
            # A paragraph that lists its problems with semicolons: each is an item.
            parts = [p.strip() for p in re.split(r"[；;]", paragraph) if p.strip()]
        for part in parts:
            body = strip_enumeration(part)
            if char_count(body) < 8 and not re.search(r"[。；;]", body):
                continue
            result.append(body)
    return result


def concrete_marks(text: str) -> list[str]:
    """The concrete facts in ``text``: figures (not bare years), Chinese counts with their
    measure word, named places, organisations and people, anonymised cases (张某)."""
    marks: list[str] = []
    vague = lexicon()["vague_quantities"]
    collective = set(lexicon()["collective_subjects"]) | set(lexicon()["generic_names"])
    for sentence in sentences(text):
        body = strip_enumeration(sentence)
        for match in _FIGURE.finditer(body):
            figure = match.group().strip()
            if _YEAR.match(figure) and body[match.end() : match.end() + 1] == "年":
                continue
            marks.append(figure)
        for match in _CN_COUNT.finditer(body):
            if not any(match.group() in v or v.startswith(match.group()) for v in vague):
                marks.append(match.group())
        marks.extend(m.group() for m in _CASE.finditer(body))
        for word, flag in tags(body):
            if flag == "ns" and len(word) < 3 and word[-1] not in PLACE_ENDINGS:
                continue  # jieba tags some common words as places ("深度")
            if (
                flag in NAME_TAGS
                and len(word) >= 2
                and word not in collective
                and not word.startswith(("全", "各", "我", "本"))
            ):
                marks.append(word)
    return marks


def vague_quantities(text: str) -> list[str]:
    """The words that look like figures or places but name nothing ("全镇", "一批", "多次")."""
    known = set(lexicon()["vague_quantities"]) | set(lexicon()["collective_subjects"])
    return [w for w in words(text) if w in known and w not in ("一是", "二是", "三是")]


def meaningful(text: str, *, empty_key: str = "empty_answers", least: int = 6) -> bool:
    """Whether ``text`` says something once the empty phrases ("已整改到位", "见相关材料") are
    taken out: at least ``least`` Chinese characters or a figure."""
    rest = compact(text)
    for phrase in sorted(lexicon()[empty_key], key=len, reverse=True):
        rest = rest.replace(phrase, "")
    return len(_CJK.findall(rest)) >= least or bool(re.search(r"\d", rest))
