"""The permission matrix, continued: the year's plan (key tasks, progress, notices).

Same personas and convention as ``tests/test_permission_matrix.py`` (ok / 403 forbidden /
404 hidden). Each row works on lists hosted by 荔湾区委 (county A1): a draft list, and a
published one whose task applies to the sub-district below it.

- read a draft list: ``round.view`` on the host; a published list also by anyone with a grant
  on a unit below the host (晒清单) — out of sight: 404;
- change, publish, request progress, send notices, plan settings: ``round.change`` on the
  host (403 for readers);
- the matrix and its export: ``round.view`` on the host (403 for a unit that only reads the
  published list);
- report progress for the sub-district: a ``report.write`` grant on it, or ``round.change``.

Every write row also checks the audit log: the write happened exactly when the row says ok.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.accounts.models import Role
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user, unit_type
from shuzhi.yearplan.keytasks import services
from shuzhi.yearplan.keytasks.models import TaskList
from tests.test_permission_matrix import FORBIDDEN, HIDDEN, OK, STATUS, _api, _web

pytestmark = pytest.mark.django_db

YEAR = 2026


def _task(code: str) -> dict:
    return {
        "code": code,
        "title": "软弱涣散党组织整顿",
        "description": "年底前全部销号。",
        "target_kind": "done",
        "weight": "20",
        "checkpoints": "06-30, 10-31",
    }


@pytest.fixture
def plan(world):
    types = [unit_type("subdistrict")]
    published = services.create_list(
        actor=world.root, host=world.county_a1, year=YEAR, title="荔湾区2026年度重点任务"
    )
    task = services.save_task(actor=world.root, task_list=published, applies_to=types, **_task("1"))
    published = services.publish_list(actor=world.root, task_list=published)
    draft = services.create_list(
        actor=world.root, host=world.county_a1, year=YEAR + 1, title="荔湾区2027年度重点任务"
    )
    services.save_task(actor=world.root, task_list=draft, applies_to=types, **_task("1"))
    world.tina = make_user("tina", (Role.SECRETARY, world.township_a1x), full_name="沙面书记")  # type: ignore[attr-defined]
    world.lena = make_user("lena", (Role.LEADER, world.city_a), full_name="周委员")  # type: ignore[attr-defined]
    return {"published": published, "draft": draft, "task": task}


def _form(code: str, reason: str = "") -> dict:
    data = {**_task(code), "applies_to": [unit_type("subdistrict").pk], "source": "manual"}
    if reason:
        data["reason"] = reason
    return data


# Each action: (is a write, callable(client, world, plan) -> response).
ACTIONS = {
    "list.view_draft": (
        False,
        lambda c, w, p: c.get(reverse("yearplan_list_detail", args=[p["draft"].pk])),
    ),
    "list.view_published": (
        False,
        lambda c, w, p: c.get(reverse("yearplan_list_detail", args=[p["published"].pk])),
    ),
    "task.add": (
        True,
        lambda c, w, p: c.post(reverse("yearplan_task_create", args=[p["draft"].pk]), _form("2")),
    ),
    "task.change_published": (
        True,
        lambda c, w, p: c.post(
            reverse("yearplan_task_edit", args=[p["published"].pk, p["task"].pk]),
            _form("1", reason="调整要求"),
        ),
    ),
    "list.publish": (
        True,
        lambda c, w, p: c.post(reverse("yearplan_list_publish", args=[p["draft"].pk])),
    ),
    "matrix.view": (
        False,
        lambda c, w, p: c.get(reverse("yearplan_matrix", args=[p["published"].pk])),
    ),
    "matrix.export": (
        False,
        lambda c, w, p: c.get(reverse("yearplan_matrix_export", args=[p["published"].pk])),
    ),
    "cell.view": (
        False,
        lambda c, w, p: c.get(
            reverse("yearplan_cell", args=[p["published"].pk, w.township_a1x.pk])
        ),
    ),
    "progress.request": (
        True,
        lambda c, w, p: c.post(
            reverse("yearplan_request", args=[p["published"].pk]), {"checkpoint": "2026-06-30"}
        ),
    ),
    "notice.send": (
        True,
        lambda c, w, p: c.post(
            reverse("yearplan_notices", args=[p["published"].pk]),
            {"checkpoint": "2026-06-30", "level": "hint", "units": [w.township_a1x.pk]},
        ),
    ),
    "settings.change": (
        True,
        lambda c, w, p: c.post(
            reverse("yearplan_settings", args=[w.county_a1.pk]), {"max_progress_requests": 3}
        ),
    ),
    "progress.report": (
        True,
        lambda c, w, p: c.post(
            f"{reverse('yearplan_my_progress')}?unit={w.township_a1x.pk}&year=2026"
            "&checkpoint=2026-06-30",
            {"task": p["task"].pk, "state": "on_track", "note": "推进中"},
        ),
    ),
    "api.list": (False, lambda c, w, p: c.get(f"/api/plan/lists/{p['draft'].pk}")),
    "api.publish": (True, lambda c, w, p: c.post(f"/api/plan/lists/{p['draft'].pk}/publish")),
    "api.matrix": (False, lambda c, w, p: c.get(f"/api/plan/lists/{p['published'].pk}/matrix")),
    "api.progress": (
        True,
        lambda c, w, p: c.post(
            "/api/plan/progress",
            {
                "task_id": p["task"].pk,
                "unit_code": w.township_a1x.code,
                "checkpoint": "2026-06-30",
                "state": "done",
            },
            content_type="application/json",
        ),
    ),
}

MANAGE = dict.fromkeys(ACTIONS, OK)
# Reads round.view on the host, changes nothing.
READ = {
    **dict.fromkeys(ACTIONS, FORBIDDEN),
    "list.view_draft": OK,
    "list.view_published": OK,
    "matrix.view": OK,
    "matrix.export": OK,
    "cell.view": OK,
    "api.list": OK,
    "api.matrix": OK,
}
OUTSIDE = {**dict.fromkeys(ACTIONS, HIDDEN)}
# The sub-district's secretary reads the published list and reports its own progress.
UNIT = {
    **dict.fromkeys(ACTIONS, HIDDEN),
    "list.view_published": OK,
    "task.change_published": FORBIDDEN,
    "matrix.view": FORBIDDEN,
    "matrix.export": FORBIDDEN,
    "cell.view": FORBIDDEN,
    "progress.request": FORBIDDEN,
    "notice.send": FORBIDDEN,
    "api.matrix": FORBIDDEN,
    "progress.report": OK,
    "api.progress": OK,
    "settings.change": HIDDEN,
}
EXPECTED = {
    "alice": MANAGE,
    "root": MANAGE,
    # One-level grants on city A do not reach the sub-district two levels down.
    "bob": {**READ, "cell.view": HIDDEN, "progress.report": HIDDEN, "api.progress": HIDDEN},
    "lena": {**READ, "cell.view": HIDDEN, "progress.report": HIDDEN, "api.progress": HIDDEN},
    "dave": {**READ, "progress.report": FORBIDDEN, "api.progress": FORBIDDEN},
    "carol": OUTSIDE,
    "erin": OUTSIDE,
    "tina": UNIT,
}
# A persona outside the sub-district's sight cannot name it in the API (422, not 404: the
# unit is a field of the payload, not the path).
API_FIELD_REFUSED = {(persona, "api.progress") for persona in ("bob", "lena", "carol", "erin")}

ROWS = [(persona, action) for persona in EXPECTED for action in ACTIONS]


def _audit() -> int:
    return AuditEntry.objects.exclude(action__startswith="auth.").count()


@pytest.mark.parametrize(("persona", "action"), ROWS)
def test_yearplan_matrix(world, plan, persona, action):
    user = getattr(world, persona)
    write, call = ACTIONS[action]
    client = _api(user) if action.startswith("api.") else _web(user)
    before = _audit()
    response = call(client, world, plan)
    expected = EXPECTED[persona][action]
    status = response.status_code
    if (persona, action) in API_FIELD_REFUSED:
        assert status == 422
    elif expected == OK:
        assert status in {200, 201, 302}, (status, response.content[:300])
        if status == 302:
            assert "login" not in response["Location"]
    else:
        assert status in STATUS[expected], (status, response.content[:300])
    if write:
        wrote = _audit() > before
        assert wrote == (expected == OK and (persona, action) not in API_FIELD_REFUSED)


def test_failed_form_writes_nothing_and_keeps_input(world, plan):
    client = _web(world.alice)
    data = {**_form("9"), "target_kind": "number", "target_value": "80", "title": "党员教育"}
    response = client.post(reverse("yearplan_task_create", args=[plan["draft"].pk]), data)
    body = response.content.decode()
    assert response.status_code == 200 and "计量单位" in body and 'value="党员教育"' in body
    assert TaskList.objects.get(pk=plan["draft"].pk).tasks.count() == 1


# --- Responsibility lists -------------------------------------------------------------------
# The sub-district's list (draft) is written by the sub-district itself (its secretary, or
# round.change over it); the community's list (filed) is reviewed by round.change on its
# parent, the sub-district. One-level grants on city A see neither.


@pytest.fixture
def duties(world, plan):
    import datetime

    from shuzhi.yearplan.duties.models import DutyItem, DutyList

    draft = DutyList.objects.create(unit=world.township_a1x, year=YEAR)
    filed = DutyList.objects.create(unit=world.village_a1x1, year=YEAR, status="filed")
    for duty_list in (draft, filed):
        DutyItem.objects.create(
            duty_list=duty_list,
            role="secretary",
            person_name="书记",
            task="软弱涣散党组织整顿",
            deadline=datetime.date(YEAR, 12, 31),
        )
    return {"draft": draft, "filed": filed}


DUTY_ACTIONS = {
    "duty.view": (False, lambda c, d: c.get(reverse("yearplan_duty_detail", args=[d["draft"].pk]))),
    "duty.add_item": (
        True,
        lambda c, d: c.post(
            reverse("yearplan_duty_detail", args=[d["draft"].pk]),
            {
                "role": "department",
                "department": "党建办",
                "task": "建强网格党支部",
                "deadline": "2026-10-31",
            },
        ),
    ),
    "duty.file": (
        True,
        lambda c, d: c.post(reverse("yearplan_duty_move", args=[d["draft"].pk]), {"to": "filed"}),
    ),
    "duty.return": (
        True,
        lambda c, d: c.post(
            reverse("yearplan_duty_move", args=[d["filed"].pk]),
            {"to": "returned", "comment": "请补充班子成员事项"},
        ),
    ),
}
DUTY_EXPECTED = {
    "alice": dict.fromkeys(DUTY_ACTIONS, OK),
    "root": dict.fromkeys(DUTY_ACTIONS, OK),
    "bob": dict.fromkeys(DUTY_ACTIONS, HIDDEN),
    "lena": dict.fromkeys(DUTY_ACTIONS, HIDDEN),
    "carol": dict.fromkeys(DUTY_ACTIONS, HIDDEN),
    "erin": dict.fromkeys(DUTY_ACTIONS, HIDDEN),
    "dave": {**dict.fromkeys(DUTY_ACTIONS, FORBIDDEN), "duty.view": OK},
    "tina": {**dict.fromkeys(DUTY_ACTIONS, OK), "duty.return": FORBIDDEN},
}


@pytest.mark.parametrize(
    ("persona", "action"), [(p, a) for p in DUTY_EXPECTED for a in DUTY_ACTIONS]
)
def test_duty_matrix(world, duties, persona, action):
    user = getattr(world, persona)
    write, call = DUTY_ACTIONS[action]
    before = _audit()
    response = call(_web(user), duties)
    expected = DUTY_EXPECTED[persona][action]
    if expected == OK:
        assert response.status_code in {200, 302}, (response.status_code,)
    else:
        assert response.status_code in STATUS[expected], (response.status_code,)
    if write:
        assert (_audit() > before) == (expected == OK)
