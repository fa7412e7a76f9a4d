"""Reports API, mounted at /api/reports (critiques and plans share the mount under
/critiques and /plans).

Same policies as the pages: lists are scoped, a report outside scope answers 404, a visible
report the caller may not write or review answers 403, and a service's ValidationError becomes a
422 with Chinese messages per field.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from shuzhi.cycles.models import RoundReporter
from shuzhi.exports.responses import DOCX, attachment
from shuzhi.kernel.loader import load
from shuzhi.reports.reports import plaintext, quality, services, versions, word
from shuzhi.reports.reports.models import Report
from shuzhi.reports.reports.policies import (
    can_review_report,
    can_write_report,
    may_see_reporter,
    reports_visible_to,
)

router = Router(tags=["述职报告"])


class ReportRow(Schema):
    id: int
    title: str
    status: str
    version: int
    round_id: int
    year: int
    reporter_id: int
    unit_code: str
    unit_name: str
    person_name: str | None
    submitted_at: datetime | None
    accepted_at: datetime | None

    @staticmethod
    def resolve_round_id(obj) -> int:
        return obj.reporter.round_id

    @staticmethod
    def resolve_year(obj) -> int:
        return obj.reporter.round.year

    @staticmethod
    def resolve_unit_code(obj) -> str:
        return obj.reporter.unit.code

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.reporter.unit.name

    @staticmethod
    def resolve_person_name(obj) -> str | None:
        return obj.reporter.person.name if obj.reporter.person_id else None


class CarriedOut(Schema):
    problem: int
    serial: int
    description: str
    answer: str
    evidence: str
    status: str


class TopicOut(Schema):
    code: str
    title: str
    answer: str


class ReportOut(ReportRow):
    sections: dict[str, str]
    topics: list[TopicOut]
    indicators: list[dict[str, str]]
    carried: list[CarriedOut]
    can_write: bool
    can_review: bool

    @staticmethod
    def resolve_topics(obj) -> list:
        return obj._api["topics"]

    @staticmethod
    def resolve_carried(obj) -> list:
        return obj._api["carried"]

    @staticmethod
    def resolve_can_write(obj) -> bool:
        return obj._api["can_write"]

    @staticmethod
    def resolve_can_review(obj) -> bool:
        return obj._api["can_review"]


class DraftIn(Schema):
    title: str | None = None
    sections: dict[str, str] | None = None
    topic_answers: dict[str, str] | None = None
    indicators: list[dict] | None = None
    carried: dict[str, dict[str, str]] | None = None


class CommentIn(Schema):
    comment: str = ""


class StartIn(Schema):
    reporter_id: int


class VersionOut(Schema):
    number: int
    created_at: datetime
    created_by: str | None
    content: dict

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return obj.created_by.display_name if obj.created_by_id else None


class ReportCheckOut(Schema):
    code: str
    title: str
    level: str
    verdict: str
    ok: bool
    message: str
    value: float | None
    blocking: bool


def _report(request, report_id: int) -> Report:
    return load(
        Report.objects.select_related(
            "reporter__unit", "reporter__person", "reporter__round__host"
        ),
        request.auth,
        pk=report_id,
    )


def _out(request, report: Report) -> Report:
    """The report with the parts of its snapshot and the caller's rights, for ``ReportOut``."""
    content = services.snapshot(report)
    report._api = {  # type: ignore[attr-defined]
        "topics": content["topics"],
        "carried": content["carried"],
        "can_write": can_write_report(request.auth, report),
        "can_review": can_review_report(request.auth, report),
    }
    return report


@router.get("/", response=list[ReportRow])
@paginate
def list_reports(
    request, q: str = "", status: str = "", round_id: int | None = None, year: int | None = None
):
    """Reports the caller may see; ``q`` matches the unit's name or code or the title."""
    reports = reports_visible_to(request.auth).select_related(
        "reporter__unit", "reporter__person", "reporter__round"
    )
    if q.strip():
        text = q.strip()
        reports = reports.filter(
            Q(reporter__unit__name__icontains=text)
            | Q(reporter__unit__code__startswith=text)
            | Q(title__icontains=text)
        )
    if status:
        reports = reports.filter(status=status)
    if round_id:
        reports = reports.filter(reporter__round_id=round_id)
    if year:
        reports = reports.filter(reporter__round__year=year)
    return reports.order_by("-reporter__round__year", "reporter__unit__path", "pk")


@router.post("/", response={200: ReportOut, 201: ReportOut})
def start_report(request, payload: StartIn):
    """Open the report of a reporter the caller writes for (created with last year's items on
    first call; 201 then, 200 after)."""
    reporter = load(
        RoundReporter.objects.select_related("unit", "round__host", "person"),
        request.auth,
        visible=may_see_reporter,
        allowed=can_write_report,
        denied="只有述职单位的书记本人可以撰写该述职报告。",
        pk=payload.reporter_id,
    )
    existed = Report.objects.filter(reporter=reporter).exists()
    report = services.ensure_report(actor=request.auth, reporter=reporter)
    return Status(200 if existed else 201, _out(request, report))


@router.get("/{int:report_id}", response=ReportOut)
def get_report(request, report_id: int):
    return _out(request, _report(request, report_id))


@router.put("/{int:report_id}/draft", response=ReportOut)
def save_draft(request, report_id: int, payload: DraftIn):
    """Save the draft; only the parts given change. ``carried``: ``{problem_id: {answer,
    evidence}}``."""
    report = _report(request, report_id)
    if not can_write_report(request.auth, report):
        raise PermissionDenied("只有述职单位的书记本人可以撰写该述职报告。")
    report = services.save_draft(
        actor=request.auth, report=report, **payload.dict(exclude_unset=True)
    )
    return _out(request, report)


@router.post("/{int:report_id}/submit", response=ReportOut)
def submit(request, report_id: int):
    """Submit (or resubmit after a return); refused while carried items are unanswered."""
    report = services.submit(actor=request.auth, report=_report(request, report_id))
    return _out(request, report)


@router.post("/{int:report_id}/return", response=ReportOut)
def return_report(request, report_id: int, payload: CommentIn):
    report = services.return_report(
        actor=request.auth, report=_report(request, report_id), comment=payload.comment
    )
    return _out(request, report)


@router.post("/{int:report_id}/accept", response=ReportOut)
def accept(request, report_id: int, payload: CommentIn):
    report = services.accept(
        actor=request.auth, report=_report(request, report_id), comment=payload.comment
    )
    return _out(request, report)


@router.get("/{int:report_id}/versions", response=list[VersionOut])
def list_versions(request, report_id: int):
    report = _report(request, report_id)
    return list(report.versions.select_related("created_by").order_by("number"))


@router.get("/{int:report_id}/compare", response=list[dict])
def compare(request, report_id: int, a: int, b: int):
    """Part-by-part comparison of versions ``a`` and ``b`` (segments marked insert/delete)."""
    report = _report(request, report_id)
    old = get_object_or_404(report.versions, number=a)
    new = get_object_or_404(report.versions, number=b)
    return versions.as_dict(versions.compare(old.content, new.content))


@router.get("/{int:report_id}/checks", response=list[ReportCheckOut])
def checks(request, report_id: int):
    """The quality checks of the current text."""
    report = _report(request, report_id)
    return [
        c.as_dict() for c in quality.run_checks(services.snapshot(report), report.reporter.round)
    ]


class TextCheckIn(Schema):
    text: str
    previous: str = ""


@router.post("/check-text", response=list[ReportCheckOut])
def check_text(request, payload: TextCheckIn):
    """The quality checks of a report written elsewhere (plain text with the usual headings
    一、二、三…; ``previous`` is last year's report), with the default thresholds; nothing is
    stored. The same as ``manage.py check_report``."""
    if len(payload.text) + len(payload.previous) > plaintext.MAX_CHARS:
        raise ValidationError({"text": f"报告超过 {plaintext.MAX_CHARS} 个字符，无法检查。"})
    content = plaintext.parse(payload.text)
    if payload.previous.strip():
        content["previous_problems"] = plaintext.previous_problems(payload.previous)
    return [c.as_dict() for c in quality.run_with_limits(content)]


@router.get("/{int:report_id}/word")
def word_file(request, report_id: int):
    """The report as an official-style .docx (latest submitted version, else the draft)."""
    report = _report(request, report_id)
    return attachment(
        word.report_docx(report),
        filename=word.filename(report),
        content_type=DOCX,
        ascii_name=f"report-{report.pk}.docx",
    )
