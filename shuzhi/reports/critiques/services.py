"""Writing critiques (点评, 一述一评) and the problems they name.

A critique names problems one by one; each named problem becomes a ``rectification.Problem``
with source 上级点评, ``critique`` pointing back here, the reporter's unit responsible and the
round's year — created and changed only through ``shuzhi.rectification.services``. The problems
enter the unit's ledger when the critique is *published*, together with its text: until then a
draft keeps them on the critique itself (``draft_problems``), which only those who may write
the critique can read — the reporter's side reads nothing of a critique before the host
publishes it.

Editing a published critique edits its problems in place: a row with an ``id`` updates that problem
(``update_problem``), a row without one creates a problem, a problem left out is deleted
(``delete_problem``, which also drops it from a plan still being drafted) — but only while no
work has started on it (``rectification.services.why_started``: still 待整改, no progress note,
no evidence, not carried, not answered in a report, not in a submitted or approved plan). Past
that point the problem belongs to the ledger and is changed there.

:func:`check_critique` flags — shown, never blocking — a critique that names no concrete
problem, the practice's known weakness (praise without substance).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from shuzhi.core import audit, clock
from shuzhi.core.notify import Message, notify_many
from shuzhi.cycles.models import RoundReporter
from shuzhi.meetings.models import SessionReporter
from shuzhi.rectification import services as rect
from shuzhi.rectification.models import (
    CRITIQUE_SOURCE_CODE,
    DESCRIPTION_MAX_LENGTH,
    Problem,
    Severity,
)
from shuzhi.reports.critiques import judgement
from shuzhi.reports.critiques.models import Critique, CritiqueRole
from shuzhi.reports.critiques.policies import can_critique, critiques_in_own_name
from shuzhi.reports.reports import quality
from shuzhi.reports.reports.policies import users_who_can_write

TEXT_MAX_LENGTH = 5000
PORTFOLIO_MAX_LENGTH = 100
CRITIC_MAX_LENGTH = 150
MAX_PROBLEMS = 50

# Thresholds of the critique check; a round may override them in ``report_checks`` under the
# same keys (policy is data).
CRITIQUE_CHECK_DEFAULTS: dict[str, Any] = {
    # No longer read (the check asks for a concrete problem, not a share of problem words);
    # kept so rounds that stored it stay valid.
    "critique_min_problem_share": 0.3,
    # Below this many characters (spaces not counted) the text is too short to judge: an
    # empty or one-phrase critique cannot pass for "not only praise".
    "critique_min_chars": 15,
}


@dataclass(frozen=True)
class CritiqueCheck:
    """One check of a critique: passed or flagged, with the one sentence that explains it."""

    code: str
    label: str
    ok: bool
    message: str

    @property
    def verdict(self) -> str:
        """``ok`` or ``warn``, as scripts read it."""
        return "ok" if self.ok else "warn"

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "verdict": self.verdict}


def check_critique(
    text: str, problems: Iterable[Any], thresholds: dict[str, Any] | None = None, unit: str = ""
) -> list[CritiqueCheck]:
    """Flag a critique that names no concrete problem. Never blocks saving.

    ``problems`` are the named problems (dicts with ``description`` or Problem rows); blank
    rows do not count. ``unit`` is the name of the unit the critique speaks to (its name does
    not make a problem concrete).
    """
    limits = {**CRITIQUE_CHECK_DEFAULTS, **(thresholds or {})}
    named = [
        p
        for p in problems
        if str(p.get("description", "") if isinstance(p, dict) else p.description).strip()
    ]
    checks = [
        CritiqueCheck(
            code="named_problems",
            label="逐条点出问题",
            ok=bool(named),
            message=(
                f"点评逐条点出了 {len(named)} 个问题，每个问题都将列入问题清单。"
                if named
                else "点评没有逐条点出具体问题：一述一评要“点准问题”，请至少列出一个问题。"
            ),
        )
    ]
    descriptions = [
        str(p.get("description", "") if isinstance(p, dict) else p.description) for p in named
    ]
    checks.append(text_check(text or "", descriptions, limits, unit=unit))
    return checks


def text_check(
    text: str,
    problems: Iterable[str] = (),
    thresholds: dict[str, Any] | None = None,
    unit: str = "",
) -> CritiqueCheck:
    """The text's own check: too short to judge, or naming no concrete problem of the unit
    (praise and exhortation only, or problems that would fit any unit) is flagged."""
    limits = {**CRITIQUE_CHECK_DEFAULTS, **(thresholds or {})}
    length = len("".join((text or "").split()))
    min_chars = int(limits["critique_min_chars"])
    label = "点出具体问题"
    if length < min_chars and not any(str(p).strip() for p in problems):
        message = (
            "点评还没有内容：请写明成绩，更要点出这个单位的具体问题。"
            if not length
            else f"点评只有 {length} 个字，过于简短（至少 {min_chars} 个字）："
            "请点出这个单位的具体问题。"
        )
        return CritiqueCheck(code="concrete_problem", label=label, ok=False, message=message)
    concrete = judgement.concrete_problems(text, problems, unit=unit)
    if concrete:
        first = quality.snippet(concrete[0], 24)
        message = f"点评点出了 {len(concrete)} 处这个单位的具体问题（如“{first}”）。"
        return CritiqueCheck(code="concrete_problem", label=label, ok=True, message=message)
    stock = judgement.generic_problems(text, problems)
    if stock:
        message = (
            f"点评指出的问题如“{'”“'.join(stock[:3])}”放到哪个单位都成立，"
            "没有点出这个单位的具体人、事、数字或事例。"
        )
    else:
        message = (
            "点评只有肯定和希望，没有点出这个单位的任何具体问题（哪里、哪些人、多少、什么事）。"
        )
    return CritiqueCheck(code="concrete_problem", label=label, ok=False, message=message)


def is_flagged(checks: Iterable[CritiqueCheck]) -> bool:
    return any(not check.ok for check in checks)


@dataclass(frozen=True)
class DraftProblem:
    """A problem named by a draft critique: not in the ledger yet (no id, no serial, no
    status), entered there when the critique is published."""

    description: str
    severity: str
    deadline: datetime.date | None

    pk = None
    id = None

    def get_severity_display(self) -> str:
        return str(Severity(self.severity).label) if self.severity in Severity.values else ""


def draft_problems(critique: Critique) -> list[DraftProblem]:
    """The problems a draft critique names, in order, as :class:`DraftProblem` rows."""
    return [
        DraftProblem(
            description=str(row.get("description") or ""),
            severity=str(row.get("severity") or Severity.GENERAL),
            deadline=_parse_date(row.get("deadline"), "") if row.get("deadline") else None,
        )
        for row in critique.draft_problems or []
    ]


def _stored(row: dict) -> dict[str, str]:
    """A draft problem row as the critique keeps it (JSON)."""
    deadline = row["deadline"]
    return {
        "description": row["description"],
        "severity": row["severity"],
        "deadline": deadline.isoformat() if deadline else "",
    }


def critique_checks(critique: Critique) -> list[CritiqueCheck]:
    """The checks of a saved critique, with its round's thresholds."""
    return check_critique(
        critique.text,
        [*critique.problems.all(), *draft_problems(critique)],
        critique.reporter.round.report_checks or {},
        unit=critique.reporter.unit.name,
    )


# --- Writing -------------------------------------------------------------------------------


def _parse_date(value: Any, label: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError({"problems": f"{label}：完成时限应为日期，如 2027-03-31。"}) from exc


def _clean_rows(problems: Iterable[dict]) -> list[dict]:
    """Validate the named problems; every error names its row (第 n 条问题)."""
    rows: list[dict] = []
    errors: list[str] = []
    for number, raw in enumerate(problems, start=1):
        label = f"第 {number} 条问题"
        description = str(raw.get("description") or "").strip()
        problem_id = raw.get("id") or None
        if not description and problem_id is None:
            continue  # an empty row the form left behind
        if not description:
            errors.append(f"{label}：问题描述不能为空。")
            continue
        if len(description) > DESCRIPTION_MAX_LENGTH:
            errors.append(f"{label}：问题描述不能超过 {DESCRIPTION_MAX_LENGTH} 个字符。")
            continue
        severity = str(raw.get("severity") or Severity.GENERAL)
        if severity not in Severity.values:
            errors.append(f"{label}：严重程度只能是一般、较重或严重。")
            continue
        try:
            deadline = _parse_date(raw.get("deadline"), label)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        try:
            problem_id = int(problem_id) if problem_id is not None else None
        except (TypeError, ValueError):
            errors.append(f"{label}：问题编号无效。")
            continue
        rows.append(
            {
                "id": problem_id,
                "description": description,
                "severity": severity,
                "deadline": deadline,
                "label": label,
            }
        )
    if len(rows) > MAX_PROBLEMS:
        errors.append(f"一次点评最多列出 {MAX_PROBLEMS} 个问题。")
    if errors:
        raise ValidationError({"problems": errors})
    return rows


def _clean_fields(
    reporter: RoundReporter, text: str, role: str, portfolio: str, rating: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = "点评意见不能为空。"
    elif len(text) > TEXT_MAX_LENGTH:
        errors["text"] = f"点评意见不能超过 {TEXT_MAX_LENGTH} 个字符。"
    if role not in CritiqueRole.values:
        errors["role"] = "点评身份只能是主办单位书记或班子成员。"
    portfolio = (portfolio or "").strip()
    if role == CritiqueRole.TEAM_MEMBER and not portfolio:
        errors["portfolio"] = "班子成员点评请填写分管领域。"
    elif len(portfolio) > PORTFOLIO_MAX_LENGTH:
        errors["portfolio"] = f"分管领域不能超过 {PORTFOLIO_MAX_LENGTH} 个字符。"
    rating = (rating or "").strip()
    codes = [str(grade.get("code")) for grade in (reporter.round.scale or [])]
    if rating and rating not in codes:
        errors["rating"] = "总体评价必须是本年度评价等次之一。"
    if errors:
        raise ValidationError(errors)
    return {"text": text, "role": role, "portfolio": portfolio, "rating": rating}


def found_on_for(reporter: RoundReporter) -> datetime.date:
    """The date the problems were found: the reporter's session date, or today when the
    reporter is on no session's agenda yet (never a date in the future)."""
    today = clock.today()
    entry = (
        SessionReporter.objects.filter(reporter=reporter, session__date__lte=today)
        .order_by("-session__date")
        .values_list("session__date", flat=True)
        .first()
    )
    return entry or today


@transaction.atomic
def save_critique(
    *,
    actor,
    reporter: RoundReporter,
    text: str,
    role: str,
    portfolio: str = "",
    rating: str = "",
    problems: list[dict],
    critique: Critique | None = None,
    critic: str = "",
) -> Critique:
    """Create (``critique=None``) or edit a critique of ``reporter`` with its named problems.

    ``problems``: ``[{"id"?, "description", "severity"?, "deadline"?}]`` — the full list; see
    the module docstring for how rows map onto problems. While the critique is a draft, rows
    without an ``id`` are kept on it (``draft_problems``) and enter the ledger on publication.

    ``critic``: the name of the person whose critique this is. Someone who critiques in their
    own name (``critiques_in_own_name``) leaves it blank; anyone else enters the critique on
    the critic's behalf, and it is stored as entered by proxy (代录): ``author_label`` the
    critic, ``entered_by`` the actor, ``by_proxy`` set.
    """
    if not can_critique(actor, reporter):
        raise PermissionDenied("您没有权限点评该述职对象。")
    if critique is not None and critique.reporter_id != reporter.pk:
        raise ValidationError({"reporter": "点评与述职对象不一致。"})
    fields = _clean_fields(reporter, text, role, portfolio, rating)
    rows = _clean_rows(problems)
    round = reporter.round
    created = critique is None
    critic = (critic or "").strip()
    if len(critic) > CRITIC_MAX_LENGTH:
        raise ValidationError({"critic": f"点评人姓名不能超过 {CRITIC_MAX_LENGTH} 个字符。"})
    actor_name = getattr(actor, "display_name", "") or actor.get_username()
    if critique is None:
        by_proxy = not critiques_in_own_name(actor, round.host) or (
            bool(critic) and critic != actor_name
        )
        critique = Critique.objects.create(
            reporter=reporter,
            author=None if by_proxy else actor,
            author_label=critic if by_proxy else actor_name,
            entered_by=actor,
            entered_by_label=actor_name,
            by_proxy=by_proxy,
            **fields,
        )
        before: dict[str, Any] = {}
    else:
        critique = Critique.objects.select_for_update().get(pk=critique.pk)
        before = audit.snapshot(critique, [*fields, "author_label"])
        for name, value in fields.items():
            setattr(critique, name, value)
        if critique.by_proxy and critic:
            critique.author_label = critic
        critique.save()
    existing = {p.pk: p for p in Problem.objects.select_for_update().filter(critique=critique)}
    errors: list[str] = []
    seen: set[int] = set()
    for row in rows:
        if row["id"] is None:
            continue
        problem = existing.get(row["id"])
        if problem is None or row["id"] in seen:
            errors.append(f"{row['label']}：该问题不属于本条点评。")
            continue
        seen.add(row["id"])
        changed = (
            problem.description != row["description"]
            or problem.severity != row["severity"]
            or problem.deadline != row["deadline"]
        )
        if changed and rect.work_started(problem):
            errors.append(f"{row['label']}：已开始整改，请在问题台账中修改。")
    removed = [p for pk, p in existing.items() if pk not in seen]
    for problem in removed:
        if rect.work_started(problem):
            errors.append(f"问题“{problem}”已开始整改，不能从点评中删除。")
    if errors:
        raise ValidationError({"problems": errors})

    found_on = found_on_for(reporter)
    counts = {"created": 0, "updated": 0, "removed": 0}
    if not critique.published:
        # A draft's problems stay on the critique until it is published (publish_critique).
        drafted = [_stored(row) for row in rows if row["id"] is None]
        if drafted != (critique.draft_problems or []):
            critique.draft_problems = drafted
            critique.save(update_fields=["draft_problems", "updated_at"])
        rows = [row for row in rows if row["id"] is not None]
    for row in rows:
        if row["id"] is None:
            rect.create_problem(
                actor=actor,
                unit=reporter.unit,
                description=row["description"],
                source=CRITIQUE_SOURCE_CODE,
                found_on=found_on,
                year=round.year,
                severity=row["severity"],
                deadline=row["deadline"],
                critique=critique,
                round=round,
            )
            counts["created"] += 1
            continue
        problem = existing[row["id"]]
        if (
            problem.description == row["description"]
            and problem.severity == row["severity"]
            and problem.deadline == row["deadline"]
        ):
            continue
        rect.update_problem(
            actor=actor,
            problem=problem,
            description=row["description"],
            severity=row["severity"],
            deadline=row["deadline"],
        )
        counts["updated"] += 1
    for problem in removed:
        rect.delete_problem(actor=actor, problem=problem, reason="点评修改后不再列出该问题")
        counts["removed"] += 1

    changes: dict[str, Any] = (
        audit.diff(before, critique)
        if not created
        else {
            **{k: [None, v] for k, v in fields.items()},
            "author_label": [None, critique.author_label],
            "by_proxy": [None, critique.by_proxy],
        }
    )
    changes["problems"] = [len(existing), len(existing) + counts["created"] - counts["removed"]]
    if not critique.published:
        changes["draft_problems"] = len(critique.draft_problems or [])
    audit.record(
        actor=actor,
        action="critique.create" if created else "critique.update",
        obj=critique,
        scope_path=reporter.unit.path,
        changes=changes,
        note="新增问题 {created} 个，修改 {updated} 个，删除 {removed} 个".format(**counts),
    )
    return critique


@transaction.atomic
def publish_critique(*, actor, critique: Critique) -> Critique:
    """Publish a critique: its text becomes visible to the reporter's side and the problems it
    names enter the reporter's ledger (through ``rectification.services``)."""
    critique = (
        Critique.objects.select_for_update()
        .select_related("reporter__round__host", "reporter__unit")
        .get(pk=critique.pk)
    )
    if not can_critique(actor, critique.reporter):
        raise PermissionDenied("您没有权限发布该点评。")
    if critique.published:
        raise ValidationError({"published": "该点评已经发布。"})
    reporter = critique.reporter
    drafted = draft_problems(critique)
    if drafted:
        # The named problems enter the reporter's ledger now, with the text — not before.
        found_on = found_on_for(reporter)
        for row in drafted:
            rect.create_problem(
                actor=actor,
                unit=reporter.unit,
                description=row.description,
                source=CRITIQUE_SOURCE_CODE,
                found_on=found_on,
                year=reporter.round.year,
                severity=row.severity,
                deadline=row.deadline,
                critique=critique,
                round=reporter.round,
            )
    critique.published = True
    critique.draft_problems = []
    critique.save(update_fields=["published", "draft_problems", "updated_at"])
    audit.record(
        actor=actor,
        action="critique.publish",
        obj=critique,
        scope_path=critique.reporter.unit.path,
        changes={"published": [False, True], "problems": [0, len(drafted)]},
    )
    _tell_writers(critique, actor=actor)
    return critique


def _tell_writers(critique: Critique, *, actor) -> None:
    """Tell the reporter's writers that a critique of them is published. The message carries
    the text (a writer without ``critique.view`` cannot open the critique page) and links to
    the rectification plan, the writers' next step."""
    reporter = critique.reporter
    named = critique.problems.count()
    author = critique.author_label or "上级"
    text = critique.text if len(critique.text) <= 500 else critique.text[:500] + "……"
    body = f"{text}\n\n点评指出问题 {named} 个，已列入问题清单，请据此制定整改方案。"
    notify_many(
        Message(
            user_id=user_id,
            kind="critique.published",
            title=f"{author}对{reporter.unit.name}{reporter.round.year}年度述职的点评已发布",
            body=body,
            url=reverse("plan_detail", args=[reporter.pk]),
            key=f"critique.published:{critique.pk}",
        )
        for user_id in users_who_can_write(reporter, besides=actor)
    )
