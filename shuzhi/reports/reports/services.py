"""Every change to a 述职报告 goes through these functions.

Keyword-only arguments, an explicit ``actor``, a policy check (:mod:`policies`), validation with
Chinese messages per field, one transaction and an audit entry in it. A failed call leaves the
database as it was. Audit entries name the changed fields and version numbers, never the text:
a report is long and its drafts are the writer's own business until submitted.

The report's status moves only along :data:`transitions.REPORT`, through the one engine
(:func:`shuzhi.core.transitions.apply`):

    draft ──submit──▶ submitted ──accept──▶ accepted
                        │   ▲
                 return │   │ resubmit
                        ▼   │
                      returned

Text, carried answers and attachments change only while the report is a draft or returned.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from shuzhi.core import audit, clock, transitions
from shuzhi.core.files import check_upload
from shuzhi.core.notify import Message, notify, notify_many
from shuzhi.core.transitions import Transition
from shuzhi.cycles.models import RoundReporter
from shuzhi.rectification.models import Problem
from shuzhi.reports.reports import extensions, quality
from shuzhi.reports.reports.models import (
    SECTIONS,
    AttachmentKind,
    CarriedAnswer,
    Report,
    ReportAttachment,
    ReportStatus,
    ReportVersion,
)
from shuzhi.reports.reports.policies import can_review_report, can_write_report, reviewers_of
from shuzhi.reports.transitions import REPORT

S = ReportStatus

# Hard limits that protect the database, not policy: the length policy is a quality check.
SECTION_MAX_CHARS = 30_000
TOPIC_MAX_CHARS = 10_000
CARRIED_MAX_CHARS = 5_000
COMMENT_MAX_CHARS = 2_000
INDICATORS_MAX_ROWS = 50
INDICATOR_KEYS = ("name", "value", "unit", "note")
INDICATOR_MAX_CHARS = {"name": 100, "value": 50, "unit": 20, "note": 200}
ATTACHMENTS_MAX = 30

EDITABLE = frozenset({S.DRAFT, S.RETURNED})


def allowed_moves(report: Report, user) -> list[Transition]:
    """The moves ``user`` may make on ``report`` now (for buttons)."""
    return REPORT.moves_for(report, user)


def _require_write(actor, obj: Report | RoundReporter) -> None:
    if not can_write_report(actor, obj):
        raise PermissionDenied("只有述职单位的书记本人可以撰写和提交该述职报告。")


def _require_review(actor, report: Report) -> None:
    if not can_review_report(actor, report):
        raise PermissionDenied("只有主办组织的审核人员可以退回或审核通过该述职报告。")


def _require_editable(report: Report) -> None:
    if report.status not in EDITABLE:
        raise ValidationError(
            {"status": f"报告当前状态为“{report.get_status_display()}”，不能修改。"}
        )


def default_title(reporter: RoundReporter) -> str:
    round = reporter.round
    return f"{reporter.unit.name}书记{round.year}年度抓基层党建工作述职报告"


def _last_year_problems(reporter: RoundReporter):
    return Problem.objects.filter(unit_id=reporter.unit_id, year=reporter.round.year - 1)


def _refresh_carried(report: Report) -> int:
    """Add a CarriedAnswer for each of last year's problems that has none yet; return how many.

    Rows are never removed here: an answer once written stays with the report.
    """
    have = set(report.carried.values_list("problem_id", flat=True))
    new = [
        CarriedAnswer(report=report, problem_id=pk, status_at_answer=status)
        for pk, status in _last_year_problems(report.reporter)
        .exclude(pk__in=have)
        .values_list("pk", "status")
    ]
    CarriedAnswer.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def ensure_report(*, actor, reporter: RoundReporter) -> Report:
    """The reporter's report, created with a title and last year's items on first call.

    While the report can still be edited, problems of last year recorded since the report was
    created are added to its 上年度问题整改情况 section.
    """
    _require_write(actor, reporter)
    report = Report.objects.select_for_update().filter(reporter=reporter).first()
    if report is None:
        report = Report.objects.create(
            reporter=reporter,
            title=default_title(reporter),
            author=actor if getattr(actor, "is_authenticated", False) else None,
            sections={
                **{code: "" for code, _label in SECTIONS},
                # The report answers the plan: 履职情况 opens with the year's key tasks.
                "performance": extensions.side().performance_draft(
                    reporter.unit, reporter.round.year
                ),
            },
        )
        added = _refresh_carried(report)
        audit.record(
            actor=actor,
            action="report.create",
            obj=report,
            scope_path=reporter.unit.path,
            changes={"status": [None, report.status], "carried": [None, added]},
        )
    elif report.status in EDITABLE:
        added = _refresh_carried(report)
        if added:
            audit.record(
                actor=actor,
                action="report.carried_refresh",
                obj=report,
                scope_path=reporter.unit.path,
                changes={"carried": [None, added]},
            )
    return report


def _clean_text(value: Any, *, field: str, label: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: f"“{label}”必须是文字。"})
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise ValidationError({field: f"“{label}”不能超过 {limit} 个字（现为 {len(text)} 个）。"})
    return text


def _clean_sections(sections: dict) -> dict[str, str]:
    if not isinstance(sections, dict):
        raise ValidationError({"sections": "正文格式不正确。"})
    labels = dict(SECTIONS)
    unknown = set(sections) - set(labels)
    if unknown:
        raise ValidationError({"sections": f"未知的报告部分：{'、'.join(sorted(unknown))}。"})
    return {
        code: _clean_text(text, field="sections", label=labels[code], limit=SECTION_MAX_CHARS)
        for code, text in sections.items()
    }


def _clean_topic_answers(report: Report, answers: dict) -> dict[str, str]:
    if not isinstance(answers, dict):
        raise ValidationError({"topic_answers": "必答题作答格式不正确。"})
    topics = {t["code"]: t.get("title", t["code"]) for t in report.reporter.round.report_topics}
    unknown = set(answers) - set(topics)
    if unknown:
        raise ValidationError(
            {"topic_answers": f"本年度没有这些必答题：{'、'.join(sorted(unknown))}。"}
        )
    return {
        code: _clean_text(text, field="topic_answers", label=topics[code], limit=TOPIC_MAX_CHARS)
        for code, text in answers.items()
    }


def _clean_indicators(rows: list) -> list[dict[str, str]]:
    if not isinstance(rows, list):
        raise ValidationError({"indicators": "主要指标格式不正确。"})
    if len(rows) > INDICATORS_MAX_ROWS:
        raise ValidationError({"indicators": f"主要指标不能超过 {INDICATORS_MAX_ROWS} 项。"})
    cleaned = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ValidationError({"indicators": f"第 {number} 项指标格式不正确。"})
        item = {}
        for key in INDICATOR_KEYS:
            value = row.get(key, "")
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ValidationError({"indicators": f"第 {number} 项指标格式不正确。"})
            value = str(value).strip()
            if len(value) > INDICATOR_MAX_CHARS[key]:
                raise ValidationError(
                    {
                        "indicators": f"第 {number} 项指标的内容过长"
                        f"（不超过 {INDICATOR_MAX_CHARS[key]} 个字）。"
                    }
                )
            item[key] = value
        if not any(item.values()):
            continue  # an empty row left in the form
        if not item["name"]:
            raise ValidationError({"indicators": f"第 {number} 项指标没有填写名称。"})
        cleaned.append(item)
    return cleaned


def _apply_carried(report: Report, answers: dict) -> list[int]:
    """Write answers keyed by problem id; return the problem ids whose answer changed."""
    if not isinstance(answers, dict):
        raise ValidationError({"carried": "上年度问题整改情况格式不正确。"})
    rows = {row.problem_id: row for row in report.carried.select_related("problem")}
    changed = []
    for key, value in answers.items():
        try:
            problem_id = int(key)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"carried": "上年度问题整改情况格式不正确。"}) from exc
        row = rows.get(problem_id)
        if row is None:
            raise ValidationError({"carried": "该问题不在本报告的上年度问题清单中。"})
        if not isinstance(value, dict):
            raise ValidationError({"carried": "上年度问题整改情况格式不正确。"})
        label = f"第 {row.problem.serial} 号问题"
        answer = _clean_text(
            value.get("answer", row.answer),
            field="carried",
            label=f"{label}的整改情况",
            limit=CARRIED_MAX_CHARS,
        )
        evidence = _clean_text(
            value.get("evidence", row.evidence),
            field="carried",
            label=f"{label}的佐证说明",
            limit=CARRIED_MAX_CHARS,
        )
        if (answer, evidence) != (row.answer, row.evidence):
            row.answer, row.evidence = answer, evidence
            # The item's status when it was answered: the reader compares it with today's.
            row.status_at_answer = row.problem.status
            row.save(update_fields=["answer", "evidence", "status_at_answer"])
            changed.append(problem_id)
    return changed


@transaction.atomic
def save_draft(
    *,
    actor,
    report: Report,
    title: str | None = None,
    sections: dict | None = None,
    topic_answers: dict | None = None,
    indicators: list | None = None,
    carried: dict | None = None,
) -> Report:
    """Save the text of a draft (or returned) report; only the parts given change.

    ``sections`` ``{code: text}`` for any of :data:`models.SECTIONS`; ``topic_answers``
    ``{topic_code: text}``; ``indicators`` the whole table; ``carried`` ``{problem_id:
    {"answer", "evidence"}}``.
    """
    _require_write(actor, report)
    report = Report.objects.select_for_update().select_related("reporter__round").get(pk=report.pk)
    _require_editable(report)
    changed: list[str] = []
    if title is not None:
        clean = _clean_text(title, field="title", label="标题", limit=200)
        if not clean:
            raise ValidationError({"title": "标题不能为空。"})
        if clean != report.title:
            report.title = clean
            changed.append("title")
    if sections is not None:
        merged = {**report.sections, **_clean_sections(sections)}
        changed += [f"sections.{c}" for c in merged if merged[c] != report.sections.get(c, "")]
        report.sections = merged
    if topic_answers is not None:
        merged = {**report.topic_answers, **_clean_topic_answers(report, topic_answers)}
        changed += [
            f"topic_answers.{c}" for c in merged if merged[c] != report.topic_answers.get(c, "")
        ]
        report.topic_answers = merged
    if indicators is not None:
        cleaned = _clean_indicators(indicators)
        if cleaned != report.indicators:
            report.indicators = cleaned
            changed.append("indicators")
    if carried is not None:
        changed += [f"carried.{pk}" for pk in _apply_carried(report, carried)]
    if changed:
        if getattr(actor, "is_authenticated", False):
            report.author = actor
        report.save()
        audit.record(
            actor=actor,
            action="report.save",
            obj=report,
            scope_path=report.reporter.unit.path,
            changes={"fields": [None, changed]},
        )
    return report


def unanswered_carried(report: Report) -> list[CarriedAnswer]:
    """Carried items not yet answered with a status and evidence or a concrete description, in
    ledger order ("已整改到位" alone does not count: :func:`quality.carried_shortfall`)."""
    return [
        row
        for row in report.carried.select_related("problem")
        if quality.carried_shortfall(row.answer, row.evidence, row.status_at_answer)
    ]


def snapshot(report: Report) -> dict[str, Any]:
    """The report's content as frozen in a version (text, tables and topic titles)."""
    round = report.reporter.round
    return {
        "title": report.title,
        "sections": dict(report.sections),
        "topics": [
            {
                "code": t["code"],
                "title": t.get("title", ""),
                "answer": report.topic_answers.get(t["code"], ""),
            }
            for t in round.report_topics
        ],
        "indicators": list(report.indicators),
        "carried": [
            {
                "problem": row.problem_id,
                "serial": row.problem.serial,
                "description": row.problem.description,
                "answer": row.answer,
                "evidence": row.evidence,
                "status": row.status_at_answer,
            }
            for row in report.carried.select_related("problem")
        ],
    }


def _tell_writer(report: Report, *, actor, title: str, body: str = "") -> None:
    """Put a message in the writer's inbox (not when the writer acted themselves)."""
    writer = report.author
    if writer is None or writer == actor:
        return
    notify(
        user=writer,
        kind="report.review",
        title=title,
        body=body,
        url=reverse("report_detail", args=[report.pk]),
    )


def _tell_reviewers(report: Report, *, actor) -> None:
    """Put a message about a submission in the inbox of the reporter's reviewers
    (:func:`policies.reviewers_of`), not of everyone who could review it."""
    reporter = report.reporter
    again = report.version > 1
    title = f"{'述职报告已重新提交' if again else '述职报告已提交'}，待审核：{report.title}"
    unit_name = reporter.unit.name
    body = f"{unit_name}提交了第 {report.version} 版述职报告，请审核后通过或退回修改。"
    url = reverse("report_detail", args=[report.pk])
    acting = getattr(actor, "pk", None)
    notify_many(
        Message(
            user_id=user_id,
            kind="report.submitted",
            title=title,
            body=body,
            url=url,
            key=f"report.submitted:{report.pk}:{report.version}",
        )
        for user_id in reviewers_of(reporter)
        if user_id != acting
    )


def _locked(report: Report) -> Report:
    return (
        Report.objects.select_for_update()
        .select_related("reporter__round__host", "reporter__unit")
        .get(pk=report.pk)
    )


def submit(*, actor, report: Report) -> Report:
    """Submit a draft, or resubmit a returned report (see :func:`_submit`)."""
    return _submit(actor=actor, report=report, only_from=None)


def resubmit(*, actor, report: Report) -> Report:
    """Submit a returned report again (the same move as :func:`submit`, from 已退回 only)."""
    return _submit(actor=actor, report=report, only_from=S.RETURNED)


@transaction.atomic
def _submit(*, actor, report: Report, only_from: str | None) -> Report:
    """Submit a draft, or resubmit a returned report: freeze a version and record the move.

    Refused while any item carried from last year is not answered with a status and evidence
    or a concrete description, and — unless the round's policy turns it off
    (``report_checks.block_empty_problems``) — while the 存在问题 section is empty: the two
    quality rules that block (DOMAIN.md §4).
    """
    _require_write(actor, report)
    report = _locked(report)
    if only_from is not None and report.status != only_from:
        raise ValidationError({"status": "只有被退回的报告才能重新提交。"})
    frm = report.version

    def validate(report: Report, move: Transition) -> dict[str, str]:
        _refresh_carried(report)
        errors = {}
        limits = quality.thresholds(report.reporter.round)
        if limits.get("block_empty_problems", True) and quality.problems_empty(
            (report.sections or {}).get("problems", "")
        ):
            errors["problems"] = (
                "“存在问题”部分是空的，不能提交：述职必须查摆自身存在的问题，请写明具体问题和主观原因。"
            )
        missing = unanswered_carried(report)
        if missing:
            names = "；".join(
                f"第 {row.problem.serial} 号“{row.problem.description[:20]}”" for row in missing
            )
            errors["carried"] = (
                f"还有 {len(missing)} 项上年度问题没有写明整改状态和佐证或具体做法"
                f"（“已整改到位”“见相关材料”不算数），不能提交：{names}。"
            )
        if errors:
            raise ValidationError(errors)
        return {}

    def prepare(report: Report, move: Transition) -> None:
        report.version += 1
        report.submitted_at = clock.now()
        if getattr(actor, "is_authenticated", False):
            report.author = actor
        ReportVersion.objects.create(
            report=report,
            number=report.version,
            content=snapshot(report),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )

    report = transitions.apply(
        REPORT,
        actor=actor,
        obj=report,
        to=S.SUBMITTED,
        validate=validate,
        prepare=prepare,
        update_fields=None,
        changes={"version": [frm, frm + 1]},
        audit_note="",
        locked=True,
    )
    _tell_reviewers(report, actor=actor)
    return report


def _review(*, actor, report: Report, to: str, comment: str, label: str) -> Report:
    """Return or accept a submitted report: the reviewer's comment goes to the history row
    and the writer's inbox, never to the audit entry."""
    _require_review(actor, report)
    report = _locked(report)
    transitions.check(REPORT, actor=actor, obj=report, to=to)
    text = _clean_text(comment, field="comment", label=label, limit=COMMENT_MAX_CHARS)

    def prepare(report: Report, move: Transition) -> None:
        if to == S.ACCEPTED:
            report.accepted_at = clock.now()
        if getattr(actor, "is_authenticated", False):
            report.reviewer = actor

    report = transitions.apply(
        REPORT,
        actor=actor,
        obj=report,
        to=to,
        reason=text,
        prepare=prepare,
        update_fields=None,
        changes={"version": [report.version, report.version]},
        audit_note="",
        locked=True,
    )
    if to == S.RETURNED:
        _tell_writer(report, actor=actor, title=f"述职报告被退回修改：{report.title}", body=text)
    else:
        _tell_writer(report, actor=actor, title=f"述职报告已审核通过：{report.title}", body=text)
    return report


@transaction.atomic
def return_report(*, actor, report: Report, comment: str) -> Report:
    """Send a submitted report back to its writer with the reviewer's comments."""
    return _review(actor=actor, report=report, to=S.RETURNED, comment=comment, label="退回意见")


@transaction.atomic
def accept(*, actor, report: Report, comment: str = "") -> Report:
    """Accept a submitted report (审核通过); it can no longer change."""
    return _review(actor=actor, report=report, to=S.ACCEPTED, comment=comment, label="审核意见")


def transition(*, actor, report: Report, to_status: str, comment: str = "") -> Report:
    """Make the move to ``to_status`` through the function that owns it (pages and API)."""
    if to_status == S.SUBMITTED:
        return submit(actor=actor, report=report)
    if to_status == S.RETURNED:
        return return_report(actor=actor, report=report, comment=comment)
    if to_status == S.ACCEPTED:
        return accept(actor=actor, report=report, comment=comment)
    raise ValidationError({"status": "不能把报告改为该状态。"})


@transaction.atomic
def add_attachment(*, actor, report: Report, upload) -> ReportAttachment:
    """Attach a document, image or short video to a draft or returned report.

    The file's type is checked by extension *and* content, and its size against the kind's
    limit from settings (videos larger), by :func:`shuzhi.core.files.check_upload`.
    """
    _require_write(actor, report)
    report = _locked(report)
    _require_editable(report)
    if report.attachments.count() >= ATTACHMENTS_MAX:
        raise ValidationError({"file": f"每份报告最多 {ATTACHMENTS_MAX} 个附件。"})
    kind, content_type = check_upload(
        upload, kinds={AttachmentKind.DOCUMENT, AttachmentKind.IMAGE, AttachmentKind.VIDEO}
    )
    size = int(upload.size)
    name = (getattr(upload, "name", "") or "附件")[-255:]
    attachment = ReportAttachment(
        report=report,
        kind=kind,
        name=name,
        size=size,
        content_type=content_type,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit.record(
        actor=actor,
        action="report.attach",
        obj=report,
        scope_path=report.reporter.unit.path,
        changes={"attachment": [None, name], "size": [None, size]},
    )
    return attachment


@transaction.atomic
def delete_attachment(*, actor, attachment: ReportAttachment) -> None:
    """Remove an attachment from a draft or returned report; the file goes after commit."""
    report = attachment.report
    _require_write(actor, report)
    report = _locked(report)
    _require_editable(report)
    name, storage, file_name = attachment.name, attachment.file.storage, attachment.file.name
    attachment.delete()
    audit.record(
        actor=actor,
        action="report.detach",
        obj=report,
        scope_path=report.reporter.unit.path,
        changes={"attachment": [name, None]},
    )
    transaction.on_commit(lambda: storage.delete(file_name) if file_name else None)
