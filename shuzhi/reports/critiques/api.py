"""Critiques API, mounted at /api/reports/critiques (plans: ``plans.api``).

Same policies as the pages: outside scope answers 404, visible but not allowed answers 403, a
service's ValidationError becomes 422 with Chinese messages per field (handlers in shuzhi.api).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.kernel.loader import load
from shuzhi.rectification.models import Problem
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.critiques.models import Critique, CritiqueRole
from shuzhi.reports.critiques.policies import can_critique, critiques_visible_to
from shuzhi.reports.reports.policies import may_view_reporter

router = Router(tags=["点评与整改方案"])


class CritiqueProblemOut(Schema):
    id: int
    serial: int
    description: str
    severity: str
    source: str
    status: str
    deadline: datetime.date | None
    unit_id: int
    year: int

    @staticmethod
    def resolve_source(obj):
        return obj.source.code


class CritiqueCheckOut(Schema):
    code: str
    label: str
    ok: bool
    verdict: str
    message: str


class DraftProblemOut(Schema):
    description: str
    severity: str
    deadline: datetime.date | None


class CritiqueOut(Schema):
    id: int
    reporter_id: int
    round_id: int
    unit_id: int
    author_label: str
    # Entered by someone else on the critic's behalf (代录), and who entered it.
    by_proxy: bool
    entered_by_label: str
    role: str
    portfolio: str
    text: str
    rating: str
    published: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    problems: list[CritiqueProblemOut]
    # Problems of a draft, entered in the ledger on publication (empty once published).
    draft_problems: list[DraftProblemOut]
    checks: list[CritiqueCheckOut]
    flagged: bool

    @staticmethod
    def resolve_round_id(obj):
        return obj.reporter.round_id

    @staticmethod
    def resolve_unit_id(obj):
        return obj.reporter.unit_id

    @staticmethod
    def resolve_problems(obj):
        return list(obj.problems.all())

    @staticmethod
    def resolve_draft_problems(obj):
        return critique_services.draft_problems(obj)

    @staticmethod
    def resolve_checks(obj):
        return [check.as_dict() for check in _checks(obj)]

    @staticmethod
    def resolve_flagged(obj):
        return critique_services.is_flagged(_checks(obj))


def _checks(critique: Critique):
    cached = getattr(critique, "_checks", None)
    if cached is None:
        cached = critique_services.critique_checks(critique)
        critique._checks = cached  # type: ignore[attr-defined]
    return cached


class CritiqueProblemIn(Schema):
    id: int | None = None
    description: str
    severity: str = "general"
    deadline: datetime.date | None = None


class CritiqueIn(Schema):
    reporter_id: int
    text: str
    role: str = CritiqueRole.HOST_SECRETARY
    portfolio: str = ""
    rating: str = ""
    problems: list[CritiqueProblemIn] = []
    # The critic's name when the caller enters the critique on their behalf (代录).
    critic: str = ""


class CritiqueUpdate(Schema):
    text: str
    role: str = CritiqueRole.HOST_SECRETARY
    portfolio: str = ""
    rating: str = ""
    problems: list[CritiqueProblemIn] = []
    critic: str = ""


class CritiqueCheckIn(Schema):
    text: str
    problems: list[CritiqueProblemIn] = []
    round_id: int | None = None
    # The unit the critique speaks to: its own name does not make a problem concrete.
    unit: str = ""


def _critiques():
    return Critique.objects.select_related("reporter__round", "reporter__unit").prefetch_related(
        Prefetch("problems", queryset=Problem.objects.select_related("source").order_by("serial"))
    )


def _critique(user, critique_id: int) -> Critique:
    return load(
        _critiques().select_related("reporter__round__host", "reporter__unit"),
        user,
        pk=critique_id,
    )


def _reporter(user, reporter_id: int, action: str) -> RoundReporter:
    return load(
        RoundReporter.objects.select_related("round__host", "unit"),
        user,
        visible=lambda user, found: may_view_reporter(user, action, found),
        pk=reporter_id,
    )


@router.get("/critiques", response=list[CritiqueOut])
@paginate(LimitOffsetPagination)
def list_critiques(request, round_id: int | None = None, reporter_id: int | None = None):
    """Critiques the caller may read, optionally of one round or one reporter."""
    critiques = critiques_visible_to(request.auth)
    if round_id is not None:
        critiques = critiques.filter(reporter__round_id=round_id)
    if reporter_id is not None:
        critiques = critiques.filter(reporter_id=reporter_id)
    return (
        critiques.select_related("reporter__round", "reporter__unit")
        .prefetch_related(
            Prefetch(
                "problems", queryset=Problem.objects.select_related("source").order_by("serial")
            )
        )
        .annotate(problem_count=Count("problems"))
        .order_by("reporter_id", "created_at", "id")
    )


@router.post("/critiques", response={201: CritiqueOut})
def create_critique(request, payload: CritiqueIn):
    """Write a critique; each named problem becomes a problem with source 上级点评."""
    reporter = _reporter(request.auth, payload.reporter_id, "critique.view")
    data = payload.dict()
    data.pop("reporter_id")
    critique = critique_services.save_critique(actor=request.auth, reporter=reporter, **data)
    return Status(201, _critique(request.auth, critique.pk))


@router.post("/critiques/check", response=list[CritiqueCheckOut])
def check(request, payload: CritiqueCheckIn):
    """The flag panel for a text and its problems (nothing is saved)."""
    thresholds: dict = {}
    if payload.round_id is not None:
        round = load(Round, request.auth, view="critique.view", pk=payload.round_id)
        thresholds = round.report_checks or {}
    problems = [p.dict() for p in payload.problems]
    return [
        c.as_dict()
        for c in critique_services.check_critique(
            payload.text, problems, thresholds, unit=payload.unit
        )
    ]


@router.get("/critiques/{int:critique_id}", response=CritiqueOut)
def critique_detail(request, critique_id: int):
    return _critique(request.auth, critique_id)


@router.put("/critiques/{int:critique_id}", response=CritiqueOut)
def update_critique(request, critique_id: int, payload: CritiqueUpdate):
    """Replace the critique and its list of problems (rows with ``id`` update, rows without
    create, problems left out are removed while no work started on them)."""
    critique = _critique(request.auth, critique_id)
    if not can_critique(request.auth, critique.reporter):
        raise PermissionDenied("您没有权限修改该点评。")
    critique_services.save_critique(
        actor=request.auth, reporter=critique.reporter, critique=critique, **payload.dict()
    )
    return _critique(request.auth, critique_id)


@router.post("/critiques/{int:critique_id}/publish", response=CritiqueOut)
def publish(request, critique_id: int):
    critique = _critique(request.auth, critique_id)
    if not can_critique(request.auth, critique.reporter):
        raise PermissionDenied("您没有权限发布该点评。")
    critique_services.publish_critique(actor=request.auth, critique=critique)
    return _critique(request.auth, critique_id)
