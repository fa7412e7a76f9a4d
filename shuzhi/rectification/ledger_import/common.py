"""Columns, accepted values and limits shared by the stages of the ledger import."""

from __future__ import annotations

import logging
import re

from shuzhi.core.bulk.jobs import ImportRefused as ImportRefused

from ..models import (
    Problem,
    ProblemStatus,
    ProgressNote,
    ResponsibilityKind,
    Severity,
)
from .layout import synonyms

logger = logging.getLogger(__name__)

# Field key → the header names accepted for it (the first is the one the template uses): the
# synonyms kept as data in ``columns.toml``.
COLUMNS: dict[str, tuple[str, ...]] = synonyms()
HEADER_OF = {key: names[0] for key, names in COLUMNS.items()}
TEMPLATE_COLUMNS = [HEADER_OF[key] for key in COLUMNS]
EXAMPLE_ROW = [
    "1",
    "440103",
    "荔湾区委",
    "巡察",
    "落实“三会一课”制度不严格，部分支部组织生活会流于形式。",
    "一般",
    "2025-03-15",
    "制定组织生活会规范，开展专项督导，纳入年度考核。",
    "王某某",
    "李某某",
    "组织部",
    "主体责任",
    "2025-06-30",
    "已召开专题会议部署整改。",
    "整改中",
    "",
]


def join_messages(messages: list[str]) -> str:
    """Several messages about one row as one sentence: each message ends with "。" on its own,
    so the ending is dropped before joining with "；" and put back once at the end (never
    "。；")."""
    parts = [message.strip().rstrip("。；;.") for message in messages]
    text = "；".join(part for part in parts if part)
    return f"{text}。" if text else ""


# Plain strings as keys: lazy labels would be translated on every look-up.
SEVERITY_OF = {str(label): value for value, label in Severity.choices} | {
    value: value for value in Severity.values
}
KIND_OF = {str(label): value for value, label in ResponsibilityKind.choices} | {
    value: value for value in ResponsibilityKind.values
}
# Only these statuses can come in as new items: closing or sending for verification is done
# in the system, with a verifier and evidence. 持续整改 is what a ledger's “长期坚持” means.
IMPORT_STATUS_OF = {
    "": ProblemStatus.OPEN.value,
    "待整改": ProblemStatus.OPEN.value,
    "未完成": ProblemStatus.OPEN.value,
    "未整改": ProblemStatus.OPEN.value,
    "整改中": ProblemStatus.IN_PROGRESS.value,
    "正在整改": ProblemStatus.IN_PROGRESS.value,
    "推进中": ProblemStatus.IN_PROGRESS.value,
    "逾期": ProblemStatus.IN_PROGRESS.value,
    "持续整改": ProblemStatus.LONG_TERM.value,
    "长期坚持": ProblemStatus.LONG_TERM.value,
    ProblemStatus.OPEN.value: ProblemStatus.OPEN.value,
    ProblemStatus.IN_PROGRESS.value: ProblemStatus.IN_PROGRESS.value,
    ProblemStatus.LONG_TERM.value: ProblemStatus.LONG_TERM.value,
}
# Every status the product's own export writes (its labels), for matching existing items.
STATUS_OF = {str(label): value for value, label in ProblemStatus.choices} | {
    value: value for value in ProblemStatus.values
}
REFUSED_STATUS_LABELS = {
    str(label) for value, label in ProblemStatus.choices if value not in IMPORT_STATUS_OF
} | {"已整改", "已完成", "已销号", "完成", "已办结", "已整改到位"}
# What the export adds to a status (逾期 is derived, a carried item says so).
_STATUS_NOTE = re.compile(r"[（(](?:逾期|已转入下一年度)[)）]$")


def status_value(text: str, *, new: bool) -> str | None:
    """The status a ledger's text means — for a new item only an importable one — or None."""
    text = _STATUS_NOTE.sub("", text.replace(" ", ""))
    if new:
        return IMPORT_STATUS_OF.get(text)
    return IMPORT_STATUS_OF.get(text) or STATUS_OF.get(text)


NO_DEADLINE = {"长期", "长期坚持", "持续", "持续整改", "长期整改"}

LEADER_MAX = Problem._meta.get_field("responsible_leader_name").max_length or 50
PERSON_MAX = Problem._meta.get_field("responsible_person_name").max_length or 50
DEPARTMENT_MAX = Problem._meta.get_field("responsible_department").max_length or 100
NOTE_MAX = ProgressNote._meta.get_field("text").max_length or 2000
# At most this many errors are kept on the job (the page and the report show them all).
MAX_STORED_ERRORS = 20_000
CHUNK = 20_000

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(?:[-/.]?\s*(\d{1,2})\s*日?|(底|末))?"
    r"(?:\s+00:00(?::00)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SPACE = re.compile(r"\s+")
