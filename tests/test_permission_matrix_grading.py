"""The permission matrix, continued: grading (综合评定) and results (结果运用).

Same personas, same convention as ``tests/test_permission_matrix.py`` (ok / 403 forbidden /
404 hidden, on pages and the API). Each row builds, as root, the finished session of
``shuzhi/assessment/tests/grading_setup.py`` (广州市委, 深圳市委 and 荔湾区委 report; ten
ballots) with its round *hosted by the row's unit*, so "inside" and "outside" are the host:

- grading view (the round's page, a row and how its numbers came about): ``round.change``
  or ``report.review`` on the host;
- compute, decide, confirm, correct: ``round.change`` on the host;
- results — the round's results, the grades export, the consequences table, follow-ups,
  circulars and their .docx: ``round.view`` on the host reads, ``round.change`` manages;
- out of sight (no ``round.view`` on the host): 404.

Acknowledging a confirmed grade is the reporter's alone (the account linked to the reporting
person, or a secretary grant exactly on the reporting unit), whoever hosts the round; it has
its own table below. Every write row also checks the audit log: the write happened exactly
when the row says ``ok``.

Rows marked ``xfail(strict=True)`` are known disagreements between the product and this
convention; they flip to failures (and should be unmarked) when the product is fixed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from shuzhi.accounts.models import Role
from shuzhi.assessment.grading import services as grading_services
from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.results import services as results_services
from shuzhi.assessment.results.models import Circular, FollowUp, FollowUpKind
from shuzhi.assessment.tests.grading_setup import FORMULA, THRESHOLDS, finished_session
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user
from shuzhi.cycles.models import Round
from shuzhi.kernel.roles import ROLE_ACTIONS
from tests.test_permission_matrix import FORBIDDEN, HIDDEN, OK, PERSONAS, STATUS, _api, _web
from tests.test_permission_matrix import stage as stage  # the fixture

pytestmark = pytest.mark.django_db

GRADING = "/assessment/grading"
GRADING_API = "/api/assessment/grading"
RESULTS = "/assessment/results"
RESULTS_API = "/api/assessment/results"


@dataclass
class Graded:
    """One round hosted by ``host`` with its grading (suggested, or confirmed with the
    follow-ups and a draft circular)."""

    round: Round
    grading: Grading
    rows: dict[str, GradeRow]  # current rows by reporting unit name
    circular: Circular | None = None

    def follow_up(self) -> FollowUp:
        """The organisation department's talk with 荔湾区委 (一般)."""
        return FollowUp.objects.get(round=self.round, kind=FollowUpKind.TALK)


def _graded(world, host, *, confirmed: bool) -> Graded:
    session = finished_session(world)
    rnd = session.annual
    Round.objects.filter(pk=rnd.pk).update(host=host)
    rnd.refresh_from_db()
    grading = grading_services.save_grading(
        actor=world.root, round=rnd, formula=FORMULA, thresholds=THRESHOLDS
    )
    grading_services.compute_suggestions(actor=world.root, grading=grading)
    circular = None
    if confirmed:
        grading_services.confirm_grades(actor=world.root, grading=grading)
        circular = results_services.create_circular(actor=world.root, round_=rnd)
    rows = {
        r.reporter.unit.name: r
        for r in GradeRow.objects.filter(grading=grading, is_current=True).select_related(
            "reporter__unit"
        )
    }
    grading.refresh_from_db()
    return Graded(rnd, grading, rows, circular)


# --- Calls: (client, graded) -> response ------------------------------------------------------
# Decisions and corrections act on 深圳市委's row: no persona reports for it, so only the host
# decides whether it is visible.
OTHER_ROW = "深圳市委"

Call = Callable[..., object]


def _json(client, method: str, url: str, data: dict | None = None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


@dataclass(frozen=True)
class Action:
    web: Call
    api: Call
    confirmed: bool  # needs a confirmed grading (else: suggested)
    audit: str = ""  # the audit action of a write (empty for reads)


def _rules_form(grade: str) -> dict:
    p = f"{grade}-"
    return {
        "grade": grade,
        p + "grade_label": "一般",
        p + "talk": "on",
        p + "talk_by": "org_department",
        p + "talk_within_days": "20",
        p + "rectify_within_days": "90",
        p + "criticise": "on",
    }


ACTIONS: dict[str, Action] = {
    "grading.view": Action(
        web=lambda c, g: c.get(f"{GRADING}/round/{g.round.pk}/"),
        api=lambda c, g: c.get(f"{GRADING_API}/rounds/{g.round.pk}"),
        confirmed=False,
    ),
    "grading.row.view": Action(
        web=lambda c, g: c.get(f"{GRADING}/row/{g.rows[OTHER_ROW].pk}/derivation/composite/"),
        api=lambda c, g: c.get(f"{GRADING_API}/rows/{g.rows[OTHER_ROW].pk}"),
        confirmed=False,
    ),
    # The one-row editor of the grading page: a reader gets the row as shown, never a form.
    "grading.row.fragment": Action(
        web=lambda c, g: c.get(f"{GRADING}/row/{g.rows[OTHER_ROW].pk}/?edit=1"),
        api=lambda c, g: c.get(f"{GRADING_API}/rows/{g.rows[OTHER_ROW].pk}"),
        confirmed=False,
    ),
    "grading.compute": Action(
        web=lambda c, g: c.post(f"{GRADING}/round/{g.round.pk}/compute/"),
        api=lambda c, g: c.post(f"{GRADING_API}/rounds/{g.round.pk}/compute"),
        confirmed=False,
        audit="grading.compute",
    ),
    "grading.decide": Action(
        web=lambda c, g: c.post(
            f"{GRADING}/row/{g.rows[OTHER_ROW].pk}/decide/",
            {"final": "fair_good", "reason": "会议讨论后调整"},
        ),
        api=lambda c, g: _json(
            c,
            "post",
            f"{GRADING_API}/rows/{g.rows[OTHER_ROW].pk}/decide",
            {"final": "fair_good", "reason": "会议讨论后调整"},
        ),
        confirmed=False,
        audit="grading.decide",
    ),
    "grading.confirm": Action(
        web=lambda c, g: c.post(f"{GRADING}/round/{g.round.pk}/confirm/"),
        api=lambda c, g: c.post(f"{GRADING_API}/rounds/{g.round.pk}/confirm"),
        confirmed=False,
        audit="grading.confirm",
    ),
    "grading.correct": Action(
        web=lambda c, g: c.post(
            f"{GRADING}/row/{g.rows[OTHER_ROW].pk}/correct/",
            {"final": "fair_good", "reason": "复核更正"},
        ),
        api=lambda c, g: _json(
            c,
            "post",
            f"{GRADING_API}/rows/{g.rows[OTHER_ROW].pk}/correct",
            {"final": "fair_good", "reason": "复核更正"},
        ),
        confirmed=True,
        audit="grading.correct",
    ),
    "results.round.view": Action(
        web=lambda c, g: c.get(f"{RESULTS}/rounds/{g.round.pk}/"),
        api=lambda c, g: c.get(f"{RESULTS_API}/rounds/{g.round.pk}/circulars"),
        confirmed=True,
    ),
    "results.grades.export": Action(
        web=lambda c, g: c.get(f"{RESULTS}/rounds/{g.round.pk}/grades.xlsx"),
        api=lambda c, g: c.get(f"{RESULTS_API}/rounds/{g.round.pk}/grades.xlsx"),
        confirmed=True,
    ),
    "results.rules.view": Action(
        web=lambda c, g: c.get(f"{RESULTS}/rules/{g.round.host_id}/"),
        api=lambda c, g: c.get(f"{RESULTS_API}/rules/{g.round.host_id}"),
        confirmed=True,
    ),
    "results.rules.change": Action(
        web=lambda c, g: c.post(f"{RESULTS}/rules/{g.round.host_id}/", _rules_form("average")),
        api=lambda c, g: _json(
            c, "put", f"{RESULTS_API}/rules/{g.round.host_id}/average", {"talk_within_days": 20}
        ),
        confirmed=True,
        audit="consequence.update",
    ),
    "results.followup.view": Action(
        web=lambda c, g: c.get(f"{RESULTS}/follow-ups/{g.follow_up().pk}/"),
        api=lambda c, g: c.get(f"{RESULTS_API}/follow-ups/{g.follow_up().pk}"),
        confirmed=True,
    ),
    "results.followup.change": Action(
        web=lambda c, g: c.post(
            f"{RESULTS}/follow-ups/{g.follow_up().pk}/",
            {"action": "schedule", "schedule-due_on": "2027-01-15", "schedule-notes": "组织部"},
        ),
        api=lambda c, g: _json(
            c,
            "post",
            f"{RESULTS_API}/follow-ups/{g.follow_up().pk}/schedule",
            {"due_on": "2027-01-15", "notes": "组织部"},
        ),
        confirmed=True,
        audit="followup.update",
    ),
    "results.followup.done": Action(
        web=lambda c, g: c.post(
            f"{RESULTS}/follow-ups/{g.follow_up().pk}/",
            {"action": "done", "done-notes": "已约谈，本人表示认真整改。"},
        ),
        api=lambda c, g: _json(
            c,
            "post",
            f"{RESULTS_API}/follow-ups/{g.follow_up().pk}/done",
            {"notes": "已约谈，本人表示认真整改。"},
        ),
        confirmed=True,
        audit="followup.done",
    ),
    "results.circular.view": Action(
        web=lambda c, g: c.get(f"{RESULTS}/circulars/{g.circular.pk}/"),
        api=lambda c, g: c.get(f"{RESULTS_API}/circulars/{g.circular.pk}"),
        confirmed=True,
    ),
    "results.circular.docx": Action(
        web=lambda c, g: c.get(f"{RESULTS}/circulars/{g.circular.pk}/docx/"),
        api=lambda c, g: c.get(f"{RESULTS_API}/circulars/{g.circular.pk}/docx"),
        confirmed=True,
    ),
    "results.circular.create": Action(
        web=lambda c, g: c.post(f"{RESULTS}/rounds/{g.round.pk}/circulars/new/"),
        api=lambda c, g: c.post(f"{RESULTS_API}/rounds/{g.round.pk}/circulars"),
        confirmed=True,
        audit="circular.create",
    ),
    "results.circular.change": Action(
        web=lambda c, g: c.post(f"{RESULTS}/circulars/{g.circular.pk}/regenerate/"),
        api=lambda c, g: c.post(f"{RESULTS_API}/circulars/{g.circular.pk}/regenerate"),
        confirmed=True,
        audit="circular.regenerate",
    ),
}

# What each action needs on the host (roles.py).
NEEDS = {
    "grading.view": ("round.change", "report.review"),
    "grading.row.view": ("round.change", "report.review"),
    "grading.row.fragment": ("round.change", "report.review"),
    "grading.compute": ("round.change",),
    "grading.decide": ("round.change",),
    "grading.confirm": ("round.change",),
    "grading.correct": ("round.change",),
    "results.round.view": ("round.view",),
    "results.grades.export": ("round.view",),
    "results.rules.view": ("round.view",),
    "results.rules.change": ("round.change",),
    "results.followup.view": ("round.view",),
    "results.followup.change": ("round.change",),
    # The organisation department's talk has no holder's account: only the host's organisers.
    "results.followup.done": ("round.change",),
    "results.circular.view": ("round.view",),
    "results.circular.docx": ("round.view",),
    "results.circular.create": ("round.change",),
    "results.circular.change": ("round.change",),
}

MANAGER = dict.fromkeys(ACTIONS, OK)
REVIEWER = {  # report.review, no round.change: a secretary
    **dict.fromkeys(ACTIONS, FORBIDDEN),
    "grading.view": OK,
    "grading.row.view": OK,
    "grading.row.fragment": OK,
    **{a: OK for a, needs in NEEDS.items() if needs == ("round.view",)},
}
READER = {  # round.view only: viewer, inspector, leader
    **dict.fromkeys(ACTIONS, FORBIDDEN),
    **{a: OK for a, needs in NEEDS.items() if needs == ("round.view",)},
}
EXPECTED = {
    "alice": MANAGER,
    "bob": REVIEWER,
    "carol": READER,
    "dave": READER,
    "erin": {},
    "lena": READER,
    "root": MANAGER,
}

# Known disagreements with the convention: (persona, action, channel, where) -> reason.
KNOWN: dict[tuple[str, str, str, str], str] = {}


def _cases():
    for persona, action in itertools.product(PERSONAS, ACTIONS):
        info, expected = PERSONAS[persona], EXPECTED[persona]
        for channel in ("web", "api"):
            if info.inside and action in expected:
                yield persona, action, channel, info.inside, expected[action]
            for where in info.outside:
                yield persona, action, channel, where, HIDDEN


def _params(cases) -> list:
    params = []
    for case in cases:
        reason = KNOWN.get(case[:4])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(*case, marks=marks, id="-".join(case)))
    return params


CASES = list(_cases())


def _check(response, expected: str, *, channel: str, write: bool) -> None:
    status = response.status_code
    body = response.content[:300]
    if expected == OK and write and channel == "web":
        # Pages answer a write with a redirect (a refusal by the service shows as a message
        # on the redirected page, so the audit check below is what proves the write).
        assert status == 302, (status, body)
    elif expected == OK:
        assert status < 400, (status, body)
    else:
        assert status in STATUS[expected], (status, body)


@pytest.mark.parametrize(("persona", "action", "channel", "where", "expected"), _params(CASES))
def test_matrix(stage, persona, action, channel, where, expected):
    world, units = stage[0], stage[1]
    spec = ACTIONS[action]
    graded = _graded(world, units[where], confirmed=spec.confirmed)
    user = getattr(world, persona)
    client = _web(user) if channel == "web" else _api(user)
    trail = AuditEntry.objects.filter(action=spec.audit or "-")
    before = set(trail.values_list("pk", flat=True))
    call = spec.web if channel == "web" else spec.api
    response = call(client, graded)
    _check(response, expected, channel=channel, write=bool(spec.audit))
    if spec.audit:
        written = list(trail.exclude(pk__in=before).values_list("actor_id", flat=True))
        assert written == ([user.pk] if expected == OK else []), written


# --- Lists without an object ------------------------------------------------------------------

LISTS = {
    "results.followups": (
        lambda c: c.get(f"{RESULTS}/follow-ups/"),
        lambda c: c.get(f"{RESULTS_API}/follow-ups"),
    ),
    "results.rounds": (lambda c: c.get(f"{RESULTS}/"), None),
}
LIST_CASES = [
    (persona, name, channel, "-", FORBIDDEN if PERSONAS[persona].role is None else OK)
    for persona, name in itertools.product(PERSONAS, LISTS)
    for channel, call in zip(("web", "api"), LISTS[name], strict=True)
    if call is not None
]


@pytest.mark.parametrize(("persona", "action", "channel", "where", "expected"), LIST_CASES)
def test_lists(stage, persona, action, channel, where, expected):
    """Results lists: anyone who reads rounds somewhere (filtered to their scope); 403 for an
    account that reads nothing and that no follow-up names."""
    world = stage[0]
    _graded(world, world.province, confirmed=True)
    user = getattr(world, persona)
    web, api = LISTS[action]
    call = web if channel == "web" else api
    assert call is not None
    response = call(_web(user) if channel == "web" else _api(user))
    _check(response, expected, channel=channel, write=False)


# --- Acknowledging a grade --------------------------------------------------------------------
# The round is hosted by the province and confirmed. Besides the personas: ``own`` — an account
# without grants linked to 深圳市委's reporting person; ``reviewer`` — a secretary of the
# province (sees the grading through report.review, is nobody's reporter).

ACK = [
    # bob is secretary of city A: his grant is exactly on 广州市委, a reporter.
    ("bob", "广州市委", OK),
    ("bob", "深圳市委", HIDDEN),  # the province hosts; bob does not see it
    ("own", "深圳市委", OK),
    ("own", "广州市委", HIDDEN),
    ("alice", "广州市委", FORBIDDEN),  # the organiser sees it, but does not acknowledge
    ("root", "广州市委", FORBIDDEN),  # a superuser is nobody's reporter
    ("reviewer", "广州市委", FORBIDDEN),  # a grant above the unit is not "exactly on" it
    ("carol", "深圳市委", HIDDEN),  # a viewer of city B is not its reporter
    ("dave", "荔湾区委", HIDDEN),  # nor an inspector of county A1
    ("lena", "广州市委", HIDDEN),  # nor a leader of city A
    ("erin", "广州市委", HIDDEN),
]
ACK_CASES = [
    (persona, "grading.acknowledge", channel, unit, expected)
    for persona, unit, expected in ACK
    for channel in ("web", "api")
]


@pytest.mark.parametrize(("persona", "action", "channel", "where", "expected"), _params(ACK_CASES))
def test_acknowledge(stage, persona, action, channel, where, expected):
    world = stage[0]
    graded = _graded(world, world.province, confirmed=True)
    users = {
        "own": make_user("own", person=graded.rows["深圳市委"].reporter.person),
        "reviewer": make_user("reviewer", (Role.SECRETARY, world.province)),
    }
    user = users.get(persona) or getattr(world, persona)
    row = graded.rows[where]
    if channel == "web":
        response = _web(user).post(f"{GRADING}/row/{row.pk}/acknowledge/")
    else:
        response = _api(user).post(f"{GRADING_API}/rows/{row.pk}/acknowledge")
    _check(response, expected, channel=channel, write=True)
    row.refresh_from_db()
    assert (row.acknowledged_at is not None) == (expected == OK)
    assert AuditEntry.objects.filter(action="grading.acknowledge").count() == (expected == OK)


def test_expectations_agree_with_the_roles_table():
    """The tables above are written out by hand; they must say what roles.py says."""
    for persona, info in PERSONAS.items():
        if info.role in (None, "superuser"):
            continue
        for action, needs in NEEDS.items():
            allowed = any(right in ROLE_ACTIONS[info.role] for right in needs)
            assert (EXPECTED[persona][action] == OK) == allowed, (persona, action)
