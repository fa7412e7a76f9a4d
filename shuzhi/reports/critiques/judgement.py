"""Whether a critique (点评) names a concrete problem of the unit it speaks to.

The same principles as the report checks (``reports.reports.quality``): praise and exhortation
("希望再接再厉") name no problem; problems that would fit any unit ("理论学习还需进一步深化",
"个别支部存在…") name nothing the unit could put right. A critique passes when at least one of
its problem statements — in the text or among the problems it lists — is concrete: a figure with
its measure word, a named place, organisation or person, a case. The unit's own name, and the
names in the critique's title line ("对白沙镇党委书记曾凡勇同志述职的点评"), do not make a
statement concrete: they say whom the critique is about, not what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shuzhi.reports.reports import textual

# Words a critique uses to point at a problem, beyond the report vocabulary.
CRITIQUE_MARKERS = (
    "要引起重视",
    "不能再拖",
    "必须整改",
    "限期整改",
    "要整改",
    "整改到位",
    "没有解决",
    "未解决",
    "反弹",
    "离职",
    "拖欠",
    "欠薪",
    "违法",
    "违规",
    "白条",
    "退回",
    "延期",
    "停工",
    "报警",
    "降为",
    "倒数",
    "只有",
    "仅有",
    "不要只",
    "一字不改",
    "一字不差",
)
EXHORTATION_OPENINGS = ("希望", "期望", "相信", "祝", "望")
_TITLE = re.compile(r"点评|评议意见")


def _known_names(text: str, unit: str) -> set[str]:
    """Names that say whom the critique is about: the unit's and those in the title line."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    known = set(textual.concrete_marks(unit)) if unit else set()
    if unit:
        known.add(unit)
        known.update(re.findall(r"[\u4e00-\u9fff]{2,}?(?:镇|乡|村|县|区|市|街道|社区)", unit))
    if lines and _TITLE.search(lines[0]) and len(lines[0]) <= 60:
        known.update(textual.concrete_marks(lines[0]))
    known.update(re.findall(r"([\u4e00-\u9fff]{2,3})同志", text or ""))
    return {k for k in known if k}


def statements(text: str) -> list[str]:
    """The critique cut into statements: sentences, and the items of 一是/第一 lists."""
    body = "\n".join(
        line
        for i, line in enumerate((text or "").splitlines())
        if not (i == 0 and _TITLE.search(line))
    )
    found: list[str] = []
    for sentence in textual.sentences(body):
        found.extend(textual.items(sentence) or [sentence])
    return found


def is_problem(statement: str) -> bool:
    """Whether a statement points at a problem (not an exhortation that starts with 希望)."""
    if statement.startswith(EXHORTATION_OPENINGS):
        return False
    markers = textual.lexicon()["problem_markers"]
    return any(m in statement for m in markers) or any(m in statement for m in CRITIQUE_MARKERS)


def concrete_problems(text: str, problems: Iterable[str] = (), unit: str = "") -> list[str]:
    """The problem statements that are concrete about this unit."""
    known = _known_names(text, unit)
    found = []
    for statement in [*statements(text), *problems]:
        if not is_problem(statement):
            continue
        marks = [
            m for m in textual.concrete_marks(statement) if not any(m in k or k in m for k in known)
        ]
        if marks:
            found.append(statement)
    return found


def generic_problems(text: str, problems: Iterable[str] = ()) -> list[str]:
    """Stock problem phrases the critique uses (they would fit any unit)."""
    joined = "\n".join([text or "", *problems])
    return textual.found(joined, "empty_self_criticism")
