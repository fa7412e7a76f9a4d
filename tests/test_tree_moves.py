"""Who sees what after a unit moves — by import, by page, by API, and by a merge.

County A1 (荔湾区委, with its township and village) moves from city A to city B. Before, city
A's secretary, organiser and viewer see the county's rows and city B's see none; after, the
other way round — whatever route moved it (docs/decisions/0008-one-tree-write-path.md). Rows
of every kind scoped by the tree are made under the county: the units, problems (which keep a
copy of their unit's path), a person and their post, a round the county hosts with the
township reporting, its report, critique and meeting session, and an indicator set. Each
persona asks the list pages and the API, as they would.

The grading rows of a round are scoped by the round's host (a province round stays the
province's wherever a reporting county goes), so they are covered here through the host: the
county's round and indicator set. Audit entries keep the scope they were written with (ADR
0008).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from shuzhi.accounts import tokens
from shuzhi.accounts.models import Role
from shuzhi.assessment.indicators import services as assessment_services
from shuzhi.core.testing import World, make_user, unit_type
from shuzhi.cycles import services as cycle_services
from shuzhi.cycles.models import RoundReporter
from shuzhi.meetings import services as meeting_services
from shuzhi.orgs.imports.models import ImportJob, ImportStatus
from shuzhi.orgs.people import services as people_services
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree.models import Unit, UnitStatus
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import Problem
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.reports import services as report_services

pytestmark = pytest.mark.django_db

YEAR = 2026
CRITIQUE_TEXT = (
    "述职实事求是，抓基层党建有思路有举措。但也要看到存在的问题："
    "一是软弱涣散村党组织整顿进度滞后，3个村至今未完成转化；"
    "二是党员发展质量不高，部分支部“三会一课”流于形式。请对照问题逐项整改。"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Rows:
    """The rows made under county A1, by kind."""

    world: World
    people: dict[str, Any]
    problem: Problem
    township_problem: Problem
    person: Any
    round: Any
    reporter: RoundReporter
    report: Any
    critique: Any
    session: Any
    indicator_set: Any


def _build(world: World) -> Rows:
    root, county, township = world.root, world.county_a1, world.township_a1x
    people = {
        "bob": world.bob,  # secretary of city A (one level down: the counties)
        "amy": make_user("amy", (Role.ORGANISER, world.city_a)),
        "vic": make_user("vic", (Role.VIEWER, world.city_a)),
        "ben": make_user("ben", (Role.SECRETARY, world.city_b)),
        "bea": make_user("bea", (Role.ORGANISER, world.city_b)),
        "carol": world.carol,  # viewer of city B
        "dave": world.dave,  # inspector of county A1 itself
        "alice": world.alice,  # organiser of the province
    }

    def problem(unit: Unit, text: str) -> Problem:
        return problem_services.create_problem(
            actor=root,
            unit=unit,
            description=text,
            source="xunshi",
            found_on=datetime.date(YEAR, 3, 1),
            year=YEAR,
        )

    person = people_services.create_person(actor=root, unit=county, name="迁移测试人")
    people_services.create_post(
        actor=root,
        person=person,
        unit=county,
        role="secretary",
        start_date=datetime.date(YEAR - 1, 1, 1),
    )
    round_ = cycle_services.create_round(actor=root, host=county, year=YEAR)
    cycle_services.add_reporters_by_codes(actor=root, round=round_, codes=township.code)
    reporter = RoundReporter.objects.get(round=round_, unit=township)
    # Submitted: a draft would be its writers' alone, whatever the tree says.
    draft = report_services.ensure_report(actor=root, reporter=reporter)
    report_services.save_draft(
        actor=root,
        report=draft,
        sections={"problems": "我对2个村的党员发展抓得不紧，全年没有发展党员。"},
    )
    report = report_services.submit(actor=root, report=draft)
    critique = critique_services.save_critique(
        actor=root, reporter=reporter, text=CRITIQUE_TEXT, role="host_secretary", problems=[]
    )
    critique = critique_services.publish_critique(actor=root, critique=critique)
    session = meeting_services.create_session(
        actor=root,
        round=round_,
        title="荔湾区委述职评议会",
        date=datetime.date(YEAR, 12, 20),
        override_reason="测试",
    )
    meeting_services.add_session_reporters(actor=root, session=session)
    indicator_set = assessment_services.create_set(
        actor=root, host=county, year=YEAR, assessed_type=unit_type("subdistrict")
    )
    return Rows(
        world=world,
        people=people,
        problem=problem(county, "荔湾区委迁移前登记的问题"),
        township_problem=problem(township, "沙面街道迁移前登记的问题"),
        person=person,
        round=round_,
        reporter=reporter,
        report=report,
        critique=critique,
        session=session,
        indicator_set=indicator_set,
    )


@pytest.fixture
def rows(world) -> Rows:
    return _build(world)


def _items(response) -> list[dict]:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    data = response.json()
    return data["items"] if isinstance(data, dict) else data


def _found(response) -> bool:
    assert response.status_code in (200, 404), (response.status_code, response.content[:300])
    return response.status_code == 200


# What a persona asks, per kind of row: (web client, API client, rows) -> seen?
Probe = Callable[[Client, Client, Rows], bool]
PROBES: dict[str, Probe] = {
    "unit": lambda w, a, r: (
        r.world.county_a1.pk
        in {u["id"] for u in _items(a.get("/api/units/", {"q": r.world.county_a1.code}))}
        and _found(w.get(reverse("unit_detail", args=[r.world.county_a1.pk])))
    ),
    "township": lambda w, a, r: _found(a.get(f"/api/units/{r.world.township_a1x.pk}")),
    "problem": lambda w, a, r: (
        r.problem.description in w.get("/problems/").content.decode()
        and _found(a.get(f"/api/problems/{r.problem.pk}"))
    ),
    "township_problem": lambda w, a, r: _found(a.get(f"/api/problems/{r.township_problem.pk}")),
    "person": lambda w, a, r: (
        r.person.pk in {p["id"] for p in _items(a.get("/api/people/", {"q": "迁移测试人"}))}
    ),
    "post": lambda w, a, r: (
        _found(resp := a.get(f"/api/people/{r.person.pk}")) and len(resp.json()["posts"]) == 1
    ),
    "round": lambda w, a, r: (
        r.round.pk in {x["id"] for x in _items(a.get("/api/rounds/", {"year": YEAR}))}
        and _found(a.get(f"/api/rounds/{r.round.pk}/reporters"))
    ),
    "report": lambda w, a, r: (
        r.report.pk in {x["id"] for x in _items(a.get("/api/reports/", {"year": YEAR}))}
    ),
    "critique": lambda w, a, r: (
        r.critique.pk in {x["id"] for x in _items(a.get("/api/reports/critiques"))}
    ),
    "session": lambda w, a, r: (
        _found(a.get(f"/api/meetings/{r.session.pk}"))
        and _found(w.get(reverse("session_detail", args=[r.session.pk])))
    ),
    "indicator_set": lambda w, a, r: (
        r.indicator_set.pk
        in {x["id"] for x in _items(a.get("/api/assessment/sets", {"year": YEAR}))}
    ),
}

# A one-level grant (secretary) reaches the county, not the township below it.
COUNTY_LEVEL = set(PROBES) - {"township", "township_problem"}
REACH = {
    "bob": COUNTY_LEVEL,
    "amy": set(PROBES),
    "vic": set(PROBES),
    "ben": COUNTY_LEVEL,
    "bea": set(PROBES),
    "carol": set(PROBES),
}
CITY_A, CITY_B = ("bob", "amy", "vic"), ("ben", "bea", "carol")


def seen(rows: Rows) -> dict[str, set[str]]:
    """What each persona sees now, through the pages and the API."""
    result = {}
    for name, user in rows.people.items():
        web = Client()
        web.force_login(user)
        _, raw = tokens.issue_token(actor=user, name="moves", access="write")
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        result[name] = {kind for kind, probe in PROBES.items() if probe(web, api, rows)}
    return result


def _check_before(before: dict[str, set[str]]) -> None:
    for name in CITY_A:
        assert before[name] == REACH[name], name
    for name in CITY_B:
        assert before[name] == set(), name


def _check_after(before: dict[str, set[str]], after: dict[str, set[str]]) -> None:
    for name in CITY_A:
        assert after[name] == set(), name
    for name in CITY_B:
        assert after[name] == REACH[name], name
    # The move changes nothing for a grant on the county itself or above both cities.
    for name in ("dave", "alice"):
        assert after[name] == before[name], name
    assert before["alice"] == set(PROBES)
    assert tree.stale_path_copies() == {}
    county = Unit.objects.get(code="440103")
    assert Problem.objects.filter(unit_path__startswith=county.path).count() == 2


def _move_by_import(rows: Rows, django_capture_on_commit_callbacks) -> None:
    """Alice uploads a CSV that gives county A1 a new parent, as on the import page."""
    client = Client()
    client.force_login(rows.world.alice)
    content = "code,name,parent_code,type\n440103,荔湾区委,440300,county\n"
    upload = SimpleUploadedFile("move.csv", content.encode("utf-8"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("unit_import"), {"file": upload})
    assert response.status_code == 302, response.content[:300]
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE, job.errors
    assert job.updated_count == 1


def _move_by_page(rows: Rows, _capture) -> None:
    client = Client()
    client.force_login(rows.world.alice)
    response = client.post(
        reverse("unit_move", args=[rows.world.county_a1.pk]), {"new_parent": "440300"}
    )
    assert response.status_code == 302, response.content[:300]


def _move_by_api(rows: Rows, _capture) -> None:
    _, raw = tokens.issue_token(actor=rows.world.alice, name="move", access="write")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/units/{rows.world.county_a1.pk}/move",
        {"new_parent_id": rows.world.city_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]


ROUTES = {"import": _move_by_import, "page": _move_by_page, "api": _move_by_api}


@pytest.mark.smoke
@pytest.mark.parametrize("route", list(ROUTES))
def test_a_moved_county_is_seen_by_its_new_city_only(
    rows, route, django_capture_on_commit_callbacks
):
    before = seen(rows)
    _check_before(before)
    ROUTES[route](rows, django_capture_on_commit_callbacks)
    county = Unit.objects.get(pk=rows.world.county_a1.pk)
    assert county.parent_id == rows.world.city_b.pk
    assert Unit.objects.get(pk=rows.world.village_a1x1.pk).path.startswith(county.path)
    _check_after(before, seen(rows))


def test_merging_city_a_into_city_b_hands_its_counties_over(rows):
    before = seen(rows)
    _check_before(before)
    client = Client()
    client.force_login(rows.world.alice)
    response = client.post(
        reverse("unit_merge", args=[rows.world.city_a.pk]),
        {"into": rows.world.city_b.code, "date": f"{YEAR}-06-30"},
    )
    assert response.status_code == 302, response.content[:300]
    assert Unit.objects.get(pk=rows.world.city_a.pk).status == UnitStatus.MERGED
    assert Unit.objects.get(pk=rows.world.county_a2.pk).parent_id == rows.world.city_b.pk
    _check_after(before, seen(rows))


def test_an_import_moving_nested_subtrees_keeps_every_copy_in_step(
    rows, django_capture_on_commit_callbacks
):
    """One file moves the county under city B and its township under county A2 (a moved unit
    inside a moved subtree): the problems follow each to its own new place."""
    client = Client()
    client.force_login(rows.world.alice)
    content = (
        "code,name,parent_code,type\n"
        "440103,荔湾区委,440300,county\n"
        "440103001,沙面街道党工委,440104,subdistrict\n"
    )
    upload = SimpleUploadedFile("move.csv", content.encode("utf-8"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("unit_import"), {"file": upload})
    assert ImportJob.objects.get().status == ImportStatus.DONE
    township = Unit.objects.get(pk=rows.world.township_a1x.pk)
    assert township.parent_id == rows.world.county_a2.pk
    assert township.path == f"{rows.world.county_a2.path}{township.pk}/"
    assert Unit.objects.get(pk=rows.world.village_a1x1.pk).depth == 5
    assert Problem.objects.get(pk=rows.township_problem.pk).unit_path == township.path
    assert tree.stale_path_copies() == {}


def test_a_refused_move_leaves_every_copy_where_it_was(rows, django_capture_on_commit_callbacks):
    """Bob may not move units: nothing moves, and nobody's view changes."""
    before = seen(rows)
    client = Client()
    client.force_login(rows.world.bob)
    response = client.post(
        reverse("unit_move", args=[rows.world.county_a1.pk]), {"new_parent": "440300"}
    )
    assert response.status_code == 403
    assert seen(rows) == before
    assert Problem.objects.get(pk=rows.problem.pk).unit_path == rows.world.county_a1.path
