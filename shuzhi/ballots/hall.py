"""The hall screen: a projector page with 应到 / 实到 per voter category and the ballots cast.

The page polls a small fragment every two seconds (htmx, no reload). A hall full of screens
polls it, so the fragment costs a fixed handful of queries: the round, the roster categories,
the codes grouped by category and the counted paper sheets grouped by category.

What it shows is the least that runs the meeting: while the round is open, the total of
ballots cast against those present — never a count per voter category (watched after each
vote, it would tell the room which category each voter belongs to) and never a result.
Results appear only once the organiser publishes them (公布结果); a closed round waiting for
publication shows its totals alone. Once published the fragment answers 286, which tells
htmx to stop polling: the results are final, and the screen pages through them by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shuzhi.meetings.models import RosterCategory

from . import tally
from .models import BallotRound, PaperEntry, VoteCode

HALL_ACTIONS = ("ballot.manage", "ballot.results")
# htmx stops polling an element whose request answers this status, and still swaps the body.
STOP_POLLING = 286


@dataclass
class CategoryProgress:
    """One voter category on the hall screen."""

    code: str
    label: str
    expected: int
    present: int
    issued: int
    used_codes: int
    paper: int

    @property
    def voted(self) -> int:
        return self.used_codes + self.paper


@dataclass
class Progress:
    """Live counts of a round, per category and in total."""

    categories: list[CategoryProgress]

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.categories)

    @property
    def present(self) -> int:
        return sum(c.present for c in self.categories)

    @property
    def voted(self) -> int:
        return sum(c.voted for c in self.categories)

    @property
    def issued(self) -> int:
        return sum(c.issued for c in self.categories)

    @property
    def used_codes(self) -> int:
        return sum(c.used_codes for c in self.categories)

    @property
    def paper(self) -> int:
        return sum(c.paper for c in self.categories)


def progress(ballot_round: BallotRound) -> Progress:
    """应到/实到 from the roster, 已投 from used codes plus counted paper sheets (three queries).

    Only counts are read: which code was used says nothing about what was voted.
    """
    roster = list(
        RosterCategory.objects.filter(session_id=ballot_round.session_id).values_list(
            "code", "label", "expected", "present"
        )
    )
    codes = {
        category: (issued, used)
        for category, issued, used in VoteCode.objects.filter(round=ballot_round)
        .values_list("category")
        .annotate(issued=Count("id"), used=Count("id", filter=Q(used=True)))
        .order_by()
    }
    # Both clerks' entries of a counted sheet are marked counted; clerk 1's stands for the sheet.
    paper = dict(
        PaperEntry.objects.filter(round=ballot_round, counted=True, clerk=1)
        .values_list("category")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = []
    seen = set()
    for code, label, expected, present in roster:
        seen.add(code)
        issued, used = codes.get(code, (0, 0))
        rows.append(
            CategoryProgress(code, label, expected, present, issued, used, paper.get(code, 0))
        )
    labels = {
        c.get("code"): c.get("label") for c in (ballot_round.policy or {}).get("categories", [])
    }
    for code in sorted((set(codes) | set(paper)) - seen):
        issued, used = codes.get(code, (0, 0))
        rows.append(
            CategoryProgress(code, labels.get(code) or code, 0, 0, issued, used, paper.get(code, 0))
        )
    return Progress(rows)


def _context(ballot_round: BallotRound) -> dict:
    # No user: the hall is a public screen and shows results only once they are published.
    show = tally.results_visible(ballot_round)
    rules = tally.rules_of(ballot_round)
    return {
        "ballot_round": ballot_round,
        "session": ballot_round.session,
        "progress": progress(ballot_round),
        "show_results": show,
        "result": tally.compute(ballot_round) if show else None,
        "grades": tally.grade_header(rules),
    }


def _interval(request: HttpRequest) -> int:
    """Seconds each page of results stays on screen: ``?interval=`` from 3 to 120, else 10."""
    raw = request.GET.get("interval", "")
    return min(max(int(raw), 3), 120) if raw.isdigit() and len(raw) < 4 else 10


@login_required
@require_GET
def hall_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The projector page; its live part refreshes itself every two seconds until published."""
    ballot_round = tally.ballot_round_for(request.user, pk, *HALL_ACTIONS)
    context = _context(ballot_round)
    context["interval"] = _interval(request)
    return render(request, "ballots/hall_screen.html", context)


@login_required
@require_GET
def hall_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the hall screen, polled by htmx; 286 (stop polling) once published."""
    ballot_round = tally.ballot_round_for(request.user, pk, *HALL_ACTIONS)
    context = _context(ballot_round)
    response = render(request, "ballots/hall_live.html", context)
    if context["show_results"]:
        response.status_code = STOP_POLLING
    response["Cache-Control"] = "no-store"
    return response
