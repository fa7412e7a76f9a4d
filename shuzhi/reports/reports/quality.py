"""Quality checks of a 述职报告, built around what a reviewer looks for.

A reviewer is not fooled by a sprinkled "我" or by "问题" used as praise ("解决了很多问题"). Each
check below asks one question a reviewer asks, answers ``ok`` or ``warn`` with ONE Chinese
sentence that explains the answer, and reads its threshold from the round
(``Round.report_checks``, defaults in :func:`shuzhi.cycles.policy.default_report_checks`):

- ``problems_present`` — is there a 存在问题 section at all? (blocks submission by policy);
- ``specific_problems`` — does each problem name a subject, a unit, a figure or a case, rather
  than 套话 that fits every unit ("学习不够深入、工作不够扎实")?
- ``causes`` — are the causes subjective (the author's own thinking, will and style), not only
  objective excuses (疫情, 上级政策, 群众素质)?
- ``praise_in_problems`` — does the problems section praise instead ("取得显著成效")?
- ``concreteness`` — figures with measure words, named places and organisations (from parts of
  speech); "全镇""一批""多次" are not concrete;
- ``trace_results`` — are the figures only counts of 留痕 activities (开会、发文、拍照)?
- ``ownership`` — does the author own the report (我, or the 班子 speaking of its own duties)?
- ``repeated`` — are last year's problems repeated verbatim as this year's?
- ``topics`` — are the must-answer topics answered?
- ``carried`` — is every item carried from last year answered with a status and evidence or a
  concrete description ("已整改到位" alone does not count)? Blocks submission;
- ``length`` — an upper bound only by default (burden rules favour brevity).

The blocking rules are enforced in :func:`services.submit`; this module only reports them. The
vocabulary is data (``lexicon.toml``); the text handling is in :mod:`textual`.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shuzhi.cycles.policy import default_report_checks
from shuzhi.reports.reports import textual
from shuzhi.reports.reports.textual import char_count, found, items

OK = "ok"
WARN = "warn"
EMPTY_PROBLEMS = frozenset({"", "无", "暂无", "没有", "无。", "暂无。", "略", "略。", "/"})
OWNER_TOKENS = frozenset({"我", "我们", "本人", "自己", "我的", "我们的", "咱们"})


def words(text: str) -> list[str]:
    """``text`` cut into words (kept here for the callers of the earlier checks)."""
    return textual.words(text)


def warm_up() -> None:
    """Load the dictionary now (a worker or test can call this before timing a request)."""
    textual.jieba_module()


_warming: threading.Thread | None = None
_warming_lock = threading.Lock()


def warm_up_in_background() -> None:
    """Start loading the dictionary in a thread, once per process.

    The list pages call this so that the dictionary is ready by the time the reader opens an
    editor or a report; it is never started while modules are being imported (a thread that
    imports jieba during another import can block on the import lock).
    """
    global _warming
    if textual.is_ready() or _warming is not None:
        return
    with _warming_lock:
        if _warming is None:
            _warming = threading.Thread(target=warm_up, name="jieba-warm-up", daemon=True)
            _warming.start()


@dataclass(frozen=True)
class Check:
    """One check's verdict: ``level`` is ``ok`` or ``warn``; ``blocking`` when a warning stops
    a submission (the carried items, and an empty 存在问题 section by policy)."""

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
            "verdict": self.level,
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


def _sections(content: dict) -> dict[str, str]:
    return content.get("sections") or {}


def _problems(content: dict) -> str:
    return _sections(content).get("problems", "") or ""


def _body_parts(content: dict) -> list[str]:
    sections = _sections(content)
    parts = [sections.get(code, "") for code in ("performance", "problems", "next_steps")]
    parts += [t.get("answer", "") for t in content.get("topics") or []]
    return [p for p in parts if p]


def snippet(text: str, most: int = 20) -> str:
    """A short quotation of ``text`` without its sentence punctuation (a message is one
    sentence)."""
    return re.sub(r"[。！？；!?;\s]+", "，", textual.strip_enumeration(text)).strip("，")[:most]


def _quote(phrases: Iterable[str], most: int = 3) -> str:
    return "“" + "”“".join(snippet(p) for p in list(phrases)[:most]) + "”"


def problems_empty(text: str) -> bool:
    """Whether a 存在问题 section says nothing ("", "无", "暂无" …)."""
    return textual.compact(text) in EMPTY_PROBLEMS


def problem_items(content: dict) -> list[str]:
    """The problems the 存在问题 section names: its items that speak of a problem at all."""
    markers = textual.lexicon()["problem_markers"]
    empty = textual.lexicon()["empty_self_criticism"]
    return [
        item
        for item in items(_problems(content))
        if any(m in item for m in markers) or any(p in item for p in empty)
    ]


def check_problems_present(content: dict, limits: dict) -> Check:
    blocking = bool(limits.get("block_empty_problems", True))
    text = _problems(content)
    if problems_empty(text):
        message = "“存在问题”部分是空的，述职必须查摆自身存在的问题，写明后才能提交。"
        if not blocking:
            message = "“存在问题”部分是空的，述职应当查摆自身存在的问题。"
        return Check("problems_present", "查摆问题", WARN, message, 0, blocking)
    if not problem_items(content):
        message = "“存在问题”部分没有一句在讲问题、不足或差距，请如实查摆自身存在的问题。"
        return Check("problems_present", "查摆问题", WARN, message, 0, blocking)
    count = len(problem_items(content))
    message = f"“存在问题”部分查摆了 {count} 条问题。"
    return Check("problems_present", "查摆问题", OK, message, count, blocking)


def check_specific_problems(content: dict, limits: dict) -> Check:
    named = problem_items(content)
    if not named:
        message = "没有可以核实的具体问题：请逐条写明哪个单位、哪些人、多少数量、什么事例。"
        return Check("specific_problems", "问题具体", WARN, message, 0)
    specific = [item for item in named if textual.concrete_marks(item)]
    need = float(limits.get("min_specific_share", 0.5))
    share = round(len(specific) / len(named), 2)
    if specific and share >= need:
        message = (
            f"{len(named)} 条问题中有 {len(specific)} 条点到了具体的单位、人员、数字或事例，"
            "问题查摆可以核实。"
        )
        return Check("specific_problems", "问题具体", OK, message, share)
    generic = [item for item in named if item not in specific]
    stock = [p for item in generic for p in found(item, "empty_self_criticism")]
    example = _quote(stock) if stock else f"“{snippet(generic[0], 16)}…”"
    message = (
        f"{len(named)} 条问题中只有 {len(specific)} 条点到了具体的单位、人员、数字或事例，"
        f"其余如{example}放到哪个单位都成立，请写明具体问题。"
    )
    return Check("specific_problems", "问题具体", WARN, message, share)


def owned_failings(text: str) -> list[str]:
    """Sentences where the author (我, 我们, 班子…) is the one who fell short: a subjective
    cause even when it uses none of the stock phrases ("我们组织方式单一")."""
    failings = textual.lexicon()["own_failings"]
    found_ = []
    for sentence in textual.sentences(text):
        if owner_count(sentence) and any(f in sentence for f in failings):
            found_.append(snippet(sentence, 12))
    return found_


def check_causes(content: dict, limits: dict) -> Check:
    text = _problems(content)
    if problems_empty(text):
        return Check("causes", "主观原因", WARN, "没有查摆问题，也就没有剖析原因。", 0)
    subjective = found(text, "subjective_causes") + owned_failings(text)
    excuses = found(text, "objective_excuses")
    if subjective:
        message = f"剖析了主观原因（如{_quote(subjective, 2)}），不只讲客观理由。"
        return Check("causes", "主观原因", OK, message, len(subjective))
    if excuses:
        message = (
            f"问题只归因于{_quote(excuses)}等客观因素，没有从自身思想、能力、作风上找主观原因。"
        )
        return Check("causes", "主观原因", WARN, message, 0)
    message = "“存在问题”部分没有剖析原因，请从自身思想认识、担当作为、工作作风上找主观原因。"
    return Check("causes", "主观原因", WARN, message, 0)


# "为企业解决各类问题上千个": problems solved, counted as an achievement. A clause that solves
# problems without any word of failure in it is praise, whatever its exact wording.
_SOLVED_PROBLEMS = re.compile(r"解决[了过]?[^，。；！？\n]{0,10}问题")
_FAILURE_WORDS = ("没有", "未", "不", "难", "尚", "缺", "差", "慢", "拖")


def _solved_as_praise(text: str) -> list[str]:
    clauses = _CLAUSE.findall(text)
    return [
        clause
        for clause in clauses
        if _SOLVED_PROBLEMS.search(clause) and not any(w in clause for w in _FAILURE_WORDS)
    ]


def check_praise_in_problems(content: dict, limits: dict) -> Check:
    problems = _problems(content)
    words = found(problems, "praise")
    praise = words + [c for c in _solved_as_praise(problems) if not any(w in c for w in words)]
    if not praise:
        message = "“存在问题”部分没有夹带成绩表述。"
        return Check("praise_in_problems", "问题不夸成绩", OK, message, 0)
    message = (
        f"“存在问题”部分夹带了{_quote(praise)}等成绩表述 {len(praise)} 处，"
        "请只讲问题和原因，不要借问题评功摆好。"
    )
    return Check("praise_in_problems", "问题不夸成绩", WARN, message, len(praise))


def check_concreteness(content: dict, limits: dict) -> Check:
    text = "\n".join(_body_parts(content))
    chars = char_count(text)
    concrete = len(textual.concrete_marks(text))
    vague = textual.vague_quantities(text)
    rate = _per_1000(concrete, chars)
    need = float(limits["min_concrete_per_1000"])
    vague_note = f"，“全镇”“一批”“多次”之类不算（本文 {len(vague)} 处）"
    if rate >= need:
        message = f"每千字有 {rate} 处数字、具体单位、地名或事例{vague_note}，用事实说话。"
        return Check("concreteness", "具体程度", OK, message, rate)
    message = (
        f"每千字只有 {rate} 处数字、具体单位、地名或事例（要求不少于 {need:g} 处）"
        f"{vague_note}，请用数据和实例代替笼统说法。"
    )
    return Check("concreteness", "具体程度", WARN, message, rate)


_CLAUSE = re.compile(r"[^，。；！？,;!?\n]+")
_HAS_FIGURE = re.compile(r"\d|[两二三四五六七八九十百千万]+[个项次名人家条件所户起篇份期场张]")


def figure_clauses(text: str) -> tuple[list[str], list[str]]:
    """(clauses whose figure counts 留痕 activities, clauses whose figure is a result)."""
    traces, results = [], []
    activity = textual.lexicon()["trace_activities"]
    outcome = textual.lexicon()["result_words"]
    for clause in _CLAUSE.findall(text or ""):
        if not _HAS_FIGURE.search(textual.strip_enumeration(clause)):
            continue
        if any(w in clause for w in outcome):
            results.append(clause)
        elif any(w in clause for w in activity):
            traces.append(clause)
    return traces, results


def check_trace_results(content: dict, limits: dict) -> Check:
    sections = _sections(content)
    text = "\n".join(
        [sections.get("performance", "")]
        + [t.get("answer", "") for t in content.get("topics") or []]
    )
    traces, results = figure_clauses(text)
    counted = len(traces) + len(results)
    share = round(len(traces) / counted, 2) if counted else 0.0
    most = float(limits.get("max_trace_share", 0.6))
    if len(traces) >= 2 and share > most:
        example = snippet(traces[0])
        message = (
            f"成绩中的 {counted} 处数字有 {len(traces)} 处只是开会、发文、拍照、报送之类的留痕次数"
            f"（如“{example}”），请讲清这些工作带来了什么结果。"
        )
        return Check("trace_results", "实绩不是留痕", WARN, message, share)
    if not counted:
        message = "成绩部分没有用开会、发文、拍照之类的留痕次数充当实绩。"
        return Check("trace_results", "实绩不是留痕", OK, message, share)
    message = f"成绩中的 {counted} 处数字有 {len(results)} 处讲的是结果，不以留痕次数代替实绩。"
    return Check("trace_results", "实绩不是留痕", OK, message, share)


def owner_count(text: str) -> int:
    """How often the author speaks as 我 or as the 班子 of its own duties."""
    compacted = textual.compact(text)
    for phrase in sorted(textual.lexicon()["speech_phrases"], key=len, reverse=True):
        compacted = compacted.replace(phrase, "，")
    # Whole words only: "党组" is the author's group, "党组织" any organisation.
    owners = OWNER_TOKENS | set(textual.lexicon()["owner_words"])
    tokens = sum(1 for w in textual.words(compacted) if w in owners)
    phrases = [w for w in owners if w.startswith("作为")]
    return tokens + sum(compacted.count(w) for w in phrases)


def check_ownership(content: dict, limits: dict) -> Check:
    text = "\n".join(_body_parts(content))
    chars = char_count(text)
    owned = owner_count(text)
    collective = [w for w in textual.lexicon()["collective_subjects"] if w in text]
    problems = _problems(content)
    rate = _per_1000(owned, chars)
    need = float(limits.get("min_first_person_per_1000", 1.0))
    if problems_empty(problems) or owner_count(problems) == 0:
        subject = f"主语只有{_quote(collective)}" if collective else "没有写明责任主体"
        message = (
            f"“存在问题”部分没有以“我”或班子的口吻承认自己的责任（{subject}），"
            "请讲清是自己哪些履职不到位。"
        )
        return Check("ownership", "担责主体", WARN, message, rate)
    if rate < need:
        message = (
            f"全文以“我”或班子口吻讲述每千字只有 {rate} 次（要求不少于 {need:g} 次），"
            "请讲清自己做了什么、负什么责任。"
        )
        return Check("ownership", "担责主体", WARN, message, rate)
    message = f"以“我”或班子的口吻讲自己的责任，每千字 {rate} 次，问题部分也由自己认领。"
    return Check("ownership", "担责主体", OK, message, rate)


def _normal(text: str) -> str:
    return re.sub(r"[^\w]", "", textual.strip_enumeration(text))


def previous_problems(content: dict) -> list[str]:
    """Last year's problems: the items carried from the ledger and, when known, last year's
    own 存在问题 (``previous_problems``)."""
    rows = [str(row.get("description") or "") for row in content.get("carried") or []]
    rows += [str(p) for p in content.get("previous_problems") or []]
    return [r for r in rows if char_count(r) >= 8]


def repeats(problem: str, previous: Iterable[str]) -> str | None:
    """The earlier problem ``problem`` repeats verbatim or nearly so, if any."""
    mine = _normal(problem)
    for before in previous:
        theirs = _normal(before)
        if len(mine) < 8 or len(theirs) < 8:
            continue
        matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
        block = matcher.find_longest_match(0, len(mine), 0, len(theirs))
        if block.size >= 15 or block.size >= 0.8 * min(len(mine), len(theirs)):
            return before
        if matcher.ratio() >= 0.85:
            return before
    return None


def check_repeated(content: dict, limits: dict) -> Check:
    previous = previous_problems(content)
    named = problem_items(content)
    repeated = [(item, before) for item in named if (before := repeats(item, previous))]
    if not previous:
        message = "没有上年度问题可供比对。"
        return Check("repeated", "不照搬上年", OK, message, 0)
    if repeated:
        item = snippet(repeated[0][0])
        message = (
            f"今年查摆的 {len(repeated)} 条问题与上年度问题几乎一字不差（如“{item}…”），"
            "照搬去年的问题说明查摆没有用心或整改没有见效。"
        )
        return Check("repeated", "不照搬上年", WARN, message, len(repeated))
    message = f"今年查摆的问题没有照搬上年度的 {len(previous)} 条问题。"
    return Check("repeated", "不照搬上年", OK, message, 0)


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


_CONCRETE_ANSWER = re.compile(
    r"\d|[\u4e00-\u9fff]{2,6}(?:村|社区|党支部|党委|公司|学校)|[两二三四五六七八九十]+[个项次名人户条件]"
)


def carried_shortfall(answer: str, evidence: str, status: str = "") -> str:
    """Why a carried item's answer does not count yet ("" when it does).

    It needs a status (in the answer, or the ledger's status when answered) and either evidence
    or a concrete description of what was done; "已整改到位" or "见相关材料" alone say nothing.
    No jieba here: :func:`services.submit` calls this on every carried row.
    """
    answer, evidence = (answer or "").strip(), (evidence or "").strip()
    if not answer and not evidence:
        return "没有填写"
    has_status = bool(found(answer, "status_words")) or bool(status)
    evidenced = textual.meaningful(evidence, least=4) and bool(
        found(evidence, "evidence_words") or _CONCRETE_ANSWER.search(evidence)
    )
    described = textual.meaningful(answer) and bool(_CONCRETE_ANSWER.search(answer))
    if not has_status:
        return "没有写明整改状态"
    if not (evidenced or described):
        return "只写了结论，没有佐证或具体做法"
    return ""


def check_carried(content: dict, limits: dict) -> Check:
    carried = content.get("carried") or []
    if not carried:
        return Check("carried", "上年度问题", OK, "上年度没有需要说明整改情况的问题。", 0, True)
    short = [
        (str(row.get("serial") or row.get("problem")), why)
        for row in carried
        if (
            why := carried_shortfall(
                row.get("answer", ""), row.get("evidence", ""), row.get("status", "")
            )
        )
    ]
    if not short:
        message = f"上年度 {len(carried)} 项问题都写明了整改状态和佐证或具体做法。"
        return Check("carried", "上年度问题", OK, message, len(carried), True)
    listed = "；".join(f"第 {serial} 号{why}" for serial, why in short[:5])
    message = (
        f"上年度问题还有 {len(short)} 项没有答实（{listed}），“已整改到位”“见相关材料”不算数，"
        "请写明整改状态和佐证或具体做法后再提交。"
    )
    return Check("carried", "上年度问题", WARN, message, len(carried) - len(short), True)


def check_length(content: dict, limits: dict) -> Check:
    chars = char_count("".join(_body_parts(content)))
    most, least = int(limits["max_chars"]), int(limits.get("min_chars", 0))
    if chars > most:
        message = f"正文共 {chars} 字，超过了 {most} 字的上限，请删繁就简、突出重点。"
        return Check("length", "篇幅", WARN, message, chars)
    if least and chars < least:
        message = f"正文只有 {chars} 字，少于本年度要求的 {least} 字。"
        return Check("length", "篇幅", WARN, message, chars)
    message = f"正文共 {chars} 字，没有超过 {most} 字的上限。"
    return Check("length", "篇幅", OK, message, chars)


CHECKS = (
    check_problems_present,
    check_specific_problems,
    check_causes,
    check_praise_in_problems,
    check_concreteness,
    check_trace_results,
    check_ownership,
    check_repeated,
    check_topics,
    check_carried,
    check_length,
)


def run_checks(content: dict, round) -> list[Check]:
    """Every check on ``content`` (the shape of :func:`services.snapshot`) for ``round``."""
    limits = thresholds(round)
    return [check(content, limits) for check in CHECKS]


def run_with_limits(content: dict, limits: dict | None = None) -> list[Check]:
    """Every check with ``limits`` over the defaults (scripts and the API, without a round)."""
    merged = {**default_report_checks(), **(limits or {})}
    return [check(content, merged) for check in CHECKS]


def summary(checks: Iterable[Check]) -> tuple[int, int]:
    """(number passed, number of checks)."""
    items_ = list(checks)
    return sum(c.ok for c in items_), len(items_)
