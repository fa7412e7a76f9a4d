"""The permission matrix, continued: problems, reports, critiques, plans and the worker page.

Same personas, same convention as ``tests/test_permission_matrix.py`` (ok / 403 forbidden /
404 hidden, on pages and the API). The objects are made on demand, as root, where a row
needs them:

- a problem of the unit (``problem.*``);
- for reports, critiques and plans, the unit *reporting* in a round hosted by its parent
  (a top-level unit hosts a round heard by its first child). The report of county A1 is
  heard by city A, so a secretary or leader of city A sees it through the host as well as
  through the unit — and also sees the township's, which city A's county hears: those rows
  are not "outside" for one-level personas.

Two rules narrow what ``roles.py`` gives (docs/permissions.md, "Problems, reports,
critiques and plans"): ``report.write`` (report and plan of a unit) only on the unit itself,
so a secretary of city A is refused county A1's (403) but writes city A's own; and a unit
named in a form or request body (recording, importing) out of scope is a field error like a
unit that does not exist (form again, 200 / API 422), not 404 — unless the persona lacks the
action everywhere (403). Every row also checks the database: a write happened exactly when
the row says ``ok``.

Rows marked ``xfail(strict=True)`` are known disagreements between the product and this
convention; they flip to failures (and should be unmarked) when the product is fixed.
"""

from __future__ import annotations

import datetime
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from shuzhi.accounts.models import Role
from shuzhi.core.testing import make_unit
from shuzhi.cycles import services as cycle_services
from shuzhi.cycles.models import Round, RoundReporter
from shuzhi.kernel.roles import ONE_LEVEL_ROLES, ROLE_ACTIONS
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import LedgerImport, Problem, ProblemSource
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.plans import services as plan_services
from shuzhi.reports.plans.models import RectificationPlan
from shuzhi.reports.reports import services as report_services
from shuzhi.reports.reports.models import Report, ReportStatus
from tests.test_permission_matrix import FORBIDDEN, HIDDEN, OK, PERSONAS, STATUS, _api, _web
from tests.test_permission_matrix import stage as stage  # the fixture

pytestmark = pytest.mark.django_db

# A unit named in a form or body, out of scope: the form again (200) / 422, nothing written.
FIELD = "field"

YEAR = 2026
CRITIQUE_TEXT = (
    "述职实事求是，抓基层党建有思路有举措。但也要看到存在的问题："
    "一是软弱涣散村党组织整顿进度滞后，3个村至今未完成转化；"
    "二是党员发展质量不高，部分支部“三会一课”流于形式。请对照问题逐项整改。"
)


@dataclass
class Ledger:
    """The stage plus the objects made so far, by unit name."""

    world: object
    units: dict[str, Unit]
    problems: dict[str, Problem] = field(default_factory=dict)
    rounds: dict[int, Round] = field(default_factory=dict)
    reporters: dict[str, RoundReporter] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    critiques: dict[str, Critique] = field(default_factory=dict)
    plans: dict[str, RectificationPlan] = field(default_factory=dict)

    @property
    def root(self):
        return self.world.root  # type: ignore[attr-defined]

    def problem(self, where: str) -> Problem:
        if where not in self.problems:
            self.problems[where] = problem_services.create_problem(
                actor=self.root,
                unit=self.units[where],
                description=f"{self.units[where].name}基层党建责任落实不到位",
                source="xunshi",
                found_on=datetime.date(YEAR, 3, 1),
                year=YEAR,
            )
        return self.problems[where]

    def reporter(self, where: str) -> RoundReporter:
        """``where`` reporting in its parent's round (a top-level unit: its child reports)."""
        if where not in self.reporters:
            unit = self.units[where]
            host, reporting = unit.parent, unit
            if host is None:
                host = unit
                reporting = unit.children.order_by("path").first() or make_unit(
                    f"{unit.code}01", f"{unit.name}下属单位", "city", unit
                )
            if host.pk not in self.rounds:
                self.rounds[host.pk] = cycle_services.create_round(
                    actor=self.root, host=host, year=YEAR
                )
            round = self.rounds[host.pk]
            cycle_services.add_reporters_by_codes(
                actor=self.root, round=round, codes=reporting.code
            )
            self.reporters[where] = RoundReporter.objects.select_related("round__host", "unit").get(
                round=round, unit=reporting
            )
        return self.reporters[where]

    def report(self, where: str, *, submitted: bool = False) -> Report:
        if where not in self.reports:
            self.reports[where] = report_services.ensure_report(
                actor=self.root, reporter=self.reporter(where)
            )
        report = self.reports[where]
        if submitted and report.status != ReportStatus.SUBMITTED:
            report_services.save_draft(
                actor=self.root,
                report=report,
                sections={"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"},
            )
            report = report_services.submit(actor=self.root, report=report)
            self.reports[where] = report
        return report

    def critique(self, where: str) -> Critique:
        """A published critique of ``where``'s reporter."""
        if where not in self.critiques:
            critique = critique_services.save_critique(
                actor=self.root,
                reporter=self.reporter(where),
                text=CRITIQUE_TEXT,
                role="host_secretary",
                problems=[],
            )
            self.critiques[where] = critique_services.publish_critique(
                actor=self.root, critique=critique
            )
        return self.critiques[where]

    def plan(self, where: str, *, submitted: bool = False) -> RectificationPlan:
        """The reporter's plan with one item: an open problem of the reporting unit."""
        if where not in self.plans:
            reporter = self.reporter(where)
            problem = problem_services.create_problem(
                actor=self.root,
                unit=reporter.unit,
                description="整改方案中的问题",
                source="xunshi",
                found_on=datetime.date(YEAR, 3, 1),
                year=YEAR,
            )
            self.plans[where] = plan_services.draft_plan(
                actor=self.root, reporter=reporter, include=[problem.pk]
            )
        plan = self.plans[where]
        if submitted and plan.status != "submitted":
            item = {
                **plan.items[0],
                "measures": "逐村制定整顿方案，年底前完成转化",
                "deadline": f"{YEAR + 5}-12-31",
                "responsible_person_name": "张三",
            }
            plan = plan_services.update_plan(actor=self.root, plan=plan, items=[item])
            plan = plan_services.submit_plan(actor=self.root, plan=plan)
            self.plans[where] = plan
        return plan


@pytest.fixture
def ledger(request) -> Ledger:
    world, units, _people, _accounts = request.getfixturevalue("stage")
    return Ledger(world=world, units=units)


def _template_file() -> io.BytesIO:
    from shuzhi.rectification import ledger_export

    upload = io.BytesIO(ledger_export.template_workbook())
    upload.name = "ledger.xlsx"
    return upload


# --- the calls: (client, ledger, where, persona) -> response ----------------------------------

Call = Callable[..., object]


def _problem_form(unit: Unit) -> dict:
    return {
        "unit": unit.pk,
        "year": YEAR,
        "source": ProblemSource.objects.get(code="xunshi").pk,
        "description": "矩阵登记的问题",
        "severity": "general",
        "found_on": f"{YEAR}-04-01",
        "responsibility_kind": "principal",
    }


def _web_create(c: Client, lg: Ledger, w: str, p: str):
    return c.post("/problems/new/", _problem_form(lg.units[w]))


def _api_create(c: Client, lg: Ledger, w: str, p: str):
    payload = {
        "unit_id": lg.units[w].pk,
        "description": "矩阵登记的问题",
        "source": "xunshi",
        "found_on": f"{YEAR}-04-01",
        "year": YEAR,
    }
    return c.post("/api/problems/", payload, content_type="application/json")


def _web_import(c: Client, lg: Ledger, w: str, p: str):
    data = {"file": _template_file(), "year": YEAR, "unit": lg.units[w].code}
    return c.post("/problems/import/", data)


def _api_import(c: Client, lg: Ledger, w: str, p: str):
    data = {"file": _template_file(), "year": YEAR, "unit": lg.units[w].code}
    return c.post("/api/problems/import", data)


def _move(to_status: str, reason: str = "") -> tuple[Call, Call]:
    def web(c: Client, lg: Ledger, w: str, p: str):
        url = f"/problems/{lg.problem(w).pk}/transition/"
        return c.post(url, {"to_status": to_status, "reason": reason})

    def api(c: Client, lg: Ledger, w: str, p: str):
        url = f"/api/problems/{lg.problem(w).pk}/transition"
        body = {"to_status": to_status, "reason": reason}
        return c.post(url, body, content_type="application/json")

    return web, api


def _web_plan_draft(c: Client, lg: Ledger, w: str, p: str):
    """The plan page of a reporter whose plan is a draft. The reporter stays visible to the
    host's side, so the page answers 200; a page that shows no plan (未提交) counts as
    hidden, as a 404 would."""
    response = c.get(f"/reports/plans/{lg.plan(w).reporter_id}/")
    if response.status_code == 200 and b'id="plan-status"' not in response.content:
        response.status_code = 404
    return response


def _web_critique(c: Client, lg: Ledger, w: str, p: str):
    data = {
        "role": "team_member" if p == "lena" else "host_secretary",
        "portfolio": "党建工作" if p == "lena" else "",
        "text": CRITIQUE_TEXT,
        "rating": "",
        "problems-TOTAL_FORMS": "0",
        "problems-INITIAL_FORMS": "0",
        "problems-MIN_NUM_FORMS": "0",
        "problems-MAX_NUM_FORMS": "1000",
    }
    return c.post(f"/reports/critiques/reporter/{lg.reporter(w).pk}/new/", data)


def _api_critique(c: Client, lg: Ledger, w: str, p: str):
    body = {
        "reporter_id": lg.reporter(w).pk,
        "text": CRITIQUE_TEXT,
        "role": "team_member" if p == "lena" else "host_secretary",
        "portfolio": "党建工作" if p == "lena" else "",
    }
    return c.post("/api/reports/critiques", body, content_type="application/json")


@dataclass(frozen=True)
class Action:
    """How to call one action on each channel, and (for writes) whether it left a trace."""

    right: str  # the roles.py action that decides
    web: Call | None = None
    api: Call | None = None
    written: Callable[[Ledger, str], bool] | None = None
    unscoped: bool = False


def _count_problems(lg: Ledger, w: str) -> bool:
    return Problem.objects.filter(unit=lg.units[w], description="矩阵登记的问题").exists()


def _status_is(status: str) -> Callable[[Ledger, str], bool]:
    return lambda lg, w: Problem.objects.get(pk=lg.problem(w).pk).status == status


def _report_is(status: str) -> Callable[[Ledger, str], bool]:
    return lambda lg, w: Report.objects.get(pk=lg.report(w).pk).status == status


def _plan_is(status: str) -> Callable[[Ledger, str], bool]:
    return lambda lg, w: RectificationPlan.objects.get(pk=lg.plan(w).pk).status == status


ACTIONS: dict[str, Action] = {
    "problem.view": Action(
        "problem.view",
        web=lambda c, lg, w, p: c.get(f"/problems/{lg.problem(w).pk}/"),
        api=lambda c, lg, w, p: c.get(f"/api/problems/{lg.problem(w).pk}"),
    ),
    # A unit's board and its summary read the same right as one problem.
    "problem.board": Action(
        "problem.view",
        web=lambda c, lg, w, p: c.get(f"/problems/board/{lg.units[w].pk}/"),
        api=lambda c, lg, w, p: c.get("/api/problems/summary", {"unit": lg.units[w].code}),
    ),
    "problem.export": Action(
        "problem.export",
        web=lambda c, lg, w, p: c.get("/problems/export/", {"unit": lg.units[w].code}),
        api=lambda c, lg, w, p: c.get("/api/problems/export", {"unit": lg.units[w].code}),
    ),
    # The same selection built in the background (a selection too large for one request).
    "problem.export.background": Action(
        "problem.export",
        web=lambda c, lg, w, p: c.post(
            "/problems/export/background/", {"query": f"unit={lg.units[w].code}"}
        ),
    ),
    "problem.create": Action(
        "problem.create", web=_web_create, api=_api_create, written=_count_problems
    ),
    "problem.import": Action(
        "problem.import",
        web=_web_import,
        api=_api_import,
        written=lambda lg, w: LedgerImport.objects.filter(unit=lg.units[w]).exists(),
    ),
    # 开始整改 (待整改 → 整改中) is a problem.rectify move.
    "problem.rectify": Action(
        "problem.rectify", *_move("in_progress"), written=_status_is("in_progress")
    ),
    # 列为持续整改 (待整改 → 持续整改) is a problem.verify move.
    "problem.verify": Action(
        "problem.verify", *_move("long_term", "需长期坚持"), written=_status_is("long_term")
    ),
    # The list of sources is the installation's: read with problem.view anywhere.
    "problemsource.view": Action(
        "problem.view",
        web=lambda c, lg, w, p: c.get("/problems/sources/"),
        api=lambda c, lg, w, p: c.get("/api/problems/sources"),
        unscoped=True,
    ),
    "problemsource.change": Action(
        "problemsource.change",
        web=lambda c, lg, w, p: c.post("/problems/sources/", {"name": "矩阵来源"}),
        api=lambda c, lg, w, p: c.post(
            "/api/problems/sources", {"name": "矩阵来源"}, content_type="application/json"
        ),
        written=lambda lg, w: ProblemSource.objects.filter(name="矩阵来源").exists(),
        unscoped=True,
    ),
    "worker.view": Action(
        "worker.view", web=lambda c, lg, w, p: c.get("/inbox/worker/"), unscoped=True
    ),
    "report.view": Action(
        "report.view",
        web=lambda c, lg, w, p: c.get(f"/reports/{lg.report(w, submitted=True).pk}/"),
        api=lambda c, lg, w, p: c.get(f"/api/reports/{lg.report(w, submitted=True).pk}"),
    ),
    # A draft report is read only by its writers until it is submitted (WRITERS_ONLY).
    "report.draft": Action(
        "report.view",
        web=lambda c, lg, w, p: c.get(f"/reports/{lg.report(w).pk}/"),
        api=lambda c, lg, w, p: c.get(f"/api/reports/{lg.report(w).pk}"),
    ),
    # Opening (creating) the unit's report is its first write.
    "report.write": Action(
        "report.write",
        web=lambda c, lg, w, p: c.post(f"/reports/start/{lg.reporter(w).pk}/"),
        api=lambda c, lg, w, p: c.post(
            "/api/reports/", {"reporter_id": lg.reporter(w).pk}, content_type="application/json"
        ),
        written=lambda lg, w: Report.objects.filter(reporter=lg.reporter(w)).exists(),
    ),
    # Returning a submitted report with a comment.
    "report.review": Action(
        "report.review",
        web=lambda c, lg, w, p: c.post(
            f"/reports/{lg.report(w, submitted=True).pk}/review/",
            {"status": "returned", "comment": "请补充整改成效"},
        ),
        api=lambda c, lg, w, p: c.post(
            f"/api/reports/{lg.report(w, submitted=True).pk}/return",
            {"comment": "请补充整改成效"},
            content_type="application/json",
        ),
        written=_report_is("returned"),
    ),
    "critique.view": Action(
        "critique.view",
        web=lambda c, lg, w, p: c.get(f"/reports/critiques/{lg.critique(w).pk}/"),
        api=lambda c, lg, w, p: c.get(f"/api/reports/critiques/{lg.critique(w).pk}"),
    ),
    "critique.write": Action(
        "critique.write",
        web=_web_critique,
        api=_api_critique,
        written=lambda lg, w: Critique.objects.filter(reporter=lg.reporter(w)).exists(),
    ),
    # Plans: read with report.view, written by the unit (report.write), approved or returned
    # by the host (report.review).
    "plan.view": Action(
        "report.view",
        web=lambda c, lg, w, p: c.get(f"/reports/plans/{lg.plan(w, submitted=True).reporter_id}/"),
        api=lambda c, lg, w, p: c.get(
            f"/api/reports/plans/{lg.plan(w, submitted=True).reporter_id}"
        ),
    ),
    # A draft plan is read only by the unit's writers until it is submitted (WRITERS_ONLY).
    "plan.draft": Action(
        "report.view",
        web=_web_plan_draft,
        api=lambda c, lg, w, p: c.get(f"/api/reports/plans/{lg.plan(w).reporter_id}"),
    ),
    "plan.write": Action(
        "report.write",
        web=lambda c, lg, w, p: c.post(f"/reports/plans/{lg.reporter(w).pk}/create/"),
        api=lambda c, lg, w, p: c.post(
            f"/api/reports/plans/{lg.reporter(w).pk}", {}, content_type="application/json"
        ),
        written=lambda lg, w: RectificationPlan.objects.filter(reporter=lg.reporter(w)).exists(),
    ),
    "plan.review": Action(
        "report.review",
        web=lambda c, lg, w, p: c.post(
            f"/reports/plans/{lg.plan(w, submitted=True).reporter_id}/return/",
            {"comment": "措施不够具体"},
        ),
        api=lambda c, lg, w, p: c.post(
            f"/api/reports/plans/{lg.plan(w, submitted=True).reporter_id}/return",
            {"comment": "措施不够具体"},
            content_type="application/json",
        ),
        written=_plan_is("returned"),
    ),
}

# --- what each persona may do inside its scope -----------------------------------------------

VIEWS = {
    "problem.view": OK,
    "problem.board": OK,
    "problem.export": OK,
    "problem.export.background": OK,
    "report.view": OK,
    "report.draft": HIDDEN,
    "critique.view": OK,
    "plan.view": OK,
    "plan.draft": HIDDEN,
    "problemsource.view": OK,
}
NO_WRITES = {
    "problem.create": FORBIDDEN,
    "problem.import": FORBIDDEN,
    "problem.rectify": FORBIDDEN,
    "problem.verify": FORBIDDEN,
    "problemsource.change": FORBIDDEN,
    "worker.view": FORBIDDEN,
    "report.write": FORBIDDEN,
    "report.review": FORBIDDEN,
    "critique.write": FORBIDDEN,
    "plan.write": FORBIDDEN,
    "plan.review": FORBIDDEN,
}
READS_ONLY = {**VIEWS, **NO_WRITES}
EXPECTED: dict[str, dict[str, str]] = {
    # An organiser does everything on the host's side; the unit's own report and plan are the
    # unit's (no report.write).
    "alice": {
        **READS_ONLY,
        "problem.create": OK,
        "problem.import": OK,
        "problem.rectify": OK,
        "problem.verify": OK,
        "worker.view": OK,
        "report.review": OK,
        "critique.write": OK,
        "plan.review": OK,
    },
    # Secretary of city A, looking at county A1: the superior — works on its problems, reviews
    # and critiques; county A1's report and plan are not bob's own (see EXTRA for city A's).
    "bob": {
        **READS_ONLY,
        "problem.rectify": OK,
        "report.review": OK,
        "critique.write": OK,
        "plan.review": OK,
    },
    "carol": READS_ONLY,
    "dave": {**READS_ONLY, "problem.create": OK, "problem.import": OK, "problem.verify": OK},
    "erin": {
        "problemsource.view": FORBIDDEN,
        "problemsource.change": FORBIDDEN,
        "worker.view": FORBIDDEN,
    },
    # Leader of city A: critiques the counties city A hears, nothing else.
    "lena": {**READS_ONLY, "critique.write": OK},
    "root": {**VIEWS, "report.draft": OK, "plan.draft": OK, **{action: OK for action in NO_WRITES}},
}

# Rows beyond the persona's one inside unit: (persona, action, where, expected).
EXTRA = [
    # City A's own report and plan are bob's to write.
    ("bob", "report.write", "city_a", OK),
    ("bob", "plan.write", "city_a", OK),
    # ... and city A's draft is his to read, as nobody's on the host's side is.
    ("bob", "report.draft", "city_a", OK),
    ("bob", "plan.draft", "city_a", OK),
    # ... but not to review: the province hears city A.
    ("bob", "report.review", "city_a", FORBIDDEN),
    ("bob", "plan.review", "city_a", FORBIDDEN),
    # Lena does not critique city A: the province hosts that round.
    ("lena", "critique.write", "city_a", FORBIDDEN),
    # Inspectors verify but do not rectify; secretaries rectify but do not verify.
    ("bob", "problem.verify", "county_a2", FORBIDDEN),
    # The township reports in county A1's round: bob and lena see it through the host, but
    # neither writes it, and only a grant exactly on the host critiques it.
    ("bob", "report.view", "township_a1x", OK),
    ("bob", "report.write", "township_a1x", FORBIDDEN),
    ("bob", "plan.write", "township_a1x", FORBIDDEN),
    ("bob", "critique.write", "township_a1x", FORBIDDEN),
    ("lena", "critique.write", "township_a1x", FORBIDDEN),
]

# Rows where roles.py grants the right but the policy narrows it on purpose.
NARROWED = {
    ("bob", "report.write"): "report.write only on the unit itself, county A1 is a child",
    ("bob", "plan.write"): "a plan is written by the unit itself, county A1 is a child",
}

# Actions whose objects the policy keeps from holders of the right on purpose: a draft report
# or plan stays with its writers until it is submitted (hidden, like a report out of scope).
WRITERS_ONLY = {"report.draft", "plan.draft"}

# The host's side of reports, critiques and plans: one-level personas of city A see the
# township's (heard by county A1, inside their scope), so it is not "outside" for them.
HOST_SIDE = {"report", "critique", "plan"}

# Writes naming their unit in the body rather than the URL.
BODY_UNIT = {"problem.create", "problem.import"}

# Known disagreements with the convention: (persona, action, channel, where) -> reason.
# None at present; a row added here is expected to fail until the product is fixed.
XFAIL: dict[tuple[str, str, str, str], str] = {}


def _has_somewhere(persona: str, right: str) -> bool:
    role = PERSONAS[persona].role
    return role == "superuser" or (role is not None and right in ROLE_ACTIONS[role])


def _outside(persona: str, action: str) -> tuple[str, ...]:
    info = PERSONAS[persona]
    if action.split(".")[0] in HOST_SIDE and info.role in ONE_LEVEL_ROLES:
        return tuple(w for w in info.outside if w != "township_a1x")
    return info.outside


def _outside_expectation(persona: str, action: str, channel: str) -> str:
    if action in BODY_UNIT and not (action == "problem.create" and channel == "api"):
        # The API's create takes the unit as its object (like a new unit's parent): 404.
        return FIELD if _has_somewhere(persona, ACTIONS[action].right) else FORBIDDEN
    return HIDDEN


def _cases():
    for persona, action in itertools.product(PERSONAS, ACTIONS):
        info, spec, expected = PERSONAS[persona], ACTIONS[action], EXPECTED[persona]
        channels = [ch for ch in ("web", "api") if getattr(spec, ch) is not None]
        for channel in channels:
            if spec.unscoped:
                yield persona, action, channel, "-", expected[action]
                continue
            if info.inside and action in expected:
                yield persona, action, channel, info.inside, expected[action]
            for where in _outside(persona, action):
                yield (
                    persona,
                    action,
                    channel,
                    where,
                    _outside_expectation(persona, action, channel),
                )
    for persona, action, where, expected_status in EXTRA:
        for channel in ("web", "api"):
            if getattr(ACTIONS[action], channel) is not None:
                yield persona, action, channel, where, expected_status


def _params():
    for case in _cases():
        persona, action, channel, where, _expected = case
        reason = XFAIL.get((persona, action, channel, where))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(*case, marks=marks, id="-".join(case))


@pytest.mark.parametrize(("persona", "action", "channel", "where", "expected"), list(_params()))
def test_matrix(ledger, persona, action, channel, where, expected):
    spec = ACTIONS[action]
    call = getattr(spec, channel)
    user = getattr(ledger.world, persona)
    client = _web(user) if channel == "web" else _api(user)
    if where != "-":
        # Make the object before the call, so a 404 means "hidden", never "not made yet".
        call(Client(), ledger, where, persona)
    response = call(client, ledger, where, persona)
    status = response.status_code  # type: ignore[attr-defined]
    body = response.content[:300] if hasattr(response, "content") else b""  # type: ignore[attr-defined]
    if expected == OK:
        assert status < 400, (status, body)
        if spec.written is not None and channel == "web":
            assert status == 302, (status, body)  # a form shown again wrote nothing
    elif expected == FIELD:
        assert status == (200 if channel == "web" else 422), (status, body)
    else:
        assert status in STATUS[expected], (status, body)
    if spec.written is not None:
        assert spec.written(ledger, where) == (expected == OK), "database disagrees"


def test_expectations_agree_with_the_roles_table():
    """The table above is written by hand; it must say what roles.py says, except where the
    policy narrows a right on purpose (NARROWED)."""
    for persona, info in PERSONAS.items():
        if info.role in (None, "superuser"):
            continue
        for action, expected in EXPECTED[persona].items():
            allowed = ACTIONS[action].right in ROLE_ACTIONS[info.role]
            if (persona, action) in NARROWED:
                assert allowed and expected == FORBIDDEN, (persona, action)
                continue
            if action in WRITERS_ONLY:
                assert allowed and expected == HIDDEN, (persona, action)
                continue
            assert (expected == OK) == allowed, (persona, action)
    for persona, action, _where, expected in EXTRA:
        role = PERSONAS[persona].role
        if expected == OK:
            assert ACTIONS[action].right in ROLE_ACTIONS[role], (persona, action)


def test_every_issue_4_action_has_rows():
    """Every action issue #4 added to roles.py is exercised by at least one row."""
    added = {
        "problem.view",
        "problem.export",
        "problem.create",
        "problem.import",
        "problem.rectify",
        "problem.verify",
        "problemsource.change",
        "report.view",
        "report.write",
        "report.review",
        "critique.view",
        "critique.write",
        "worker.view",
    }
    assert added <= set().union(*ROLE_ACTIONS.values())
    assert added <= {spec.right for spec in ACTIONS.values()}
    assert Role.LEADER in {PERSONAS[p].role for p in PERSONAS}


def test_importing_into_a_unit_that_does_not_exist_is_a_field_error(ledger):
    """The reference for the import rows above: an unknown unit code is a field error."""
    response = _api(ledger.world.dave).post(  # type: ignore[attr-defined]
        "/api/problems/import", {"file": _template_file(), "year": YEAR, "unit": "999999"}
    )
    assert response.status_code == 422, response.content
    assert "unit" in response.json()["errors"]


def test_the_documented_actions_table_is_roles_py():
    """docs/permissions.md's actions table says exactly what roles.py says."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "permissions.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| action |"))
    roles = [cell.strip() for cell in header.strip("|").split("|")[1:]]
    documented: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != len(roles) + 1:
            continue  # the roles table above has fewer columns
        action = cells[0].split("`")[1]
        documented[action] = {role for role, cell in zip(roles, cells[1:], strict=True) if cell}
    expected = {
        action: {role for role, actions in ROLE_ACTIONS.items() if action in actions}
        for action in set().union(*ROLE_ACTIONS.values())
    }
    assert documented == expected


# The import preview (problem.import, on the uploader's own stored upload): the uploader and
# root see and confirm it; anyone else with problem.import somewhere is told it does not
# exist (404), anyone without it is refused (403). Nothing changes unless the row says ok.
PREVIEW_EXPECTED = {
    persona: OK
    if persona in ("dave", "root")
    else HIDDEN
    if _has_somewhere(persona, "problem.import")
    else FORBIDDEN
    for persona in PERSONAS
}


@pytest.mark.parametrize("persona", sorted(PREVIEW_EXPECTED))
@pytest.mark.parametrize("method", ["get", "confirm"])
def test_the_import_preview_is_the_uploaders_own(ledger, persona, method):
    from shuzhi.rectification import ledger_import

    world = ledger.world
    job = ledger_import.create_import(
        actor=world.dave,  # type: ignore[attr-defined]
        unit=ledger.units["county_a1"],
        year=YEAR,
        file_name="ledger.xlsx",
        content=_template_file().getvalue(),
        preview=True,
    )
    user = getattr(world, persona)
    url = f"/problems/import/{job.pk}/preview/"
    client = _web(user)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, {"action": "confirm", "width": "0"})
    expected = PREVIEW_EXPECTED[persona]
    if expected == OK:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code in STATUS[expected], response.status_code
    job.refresh_from_db()
    assert job.status == LedgerImport.Status.PREVIEW or (expected == OK and method == "confirm")
