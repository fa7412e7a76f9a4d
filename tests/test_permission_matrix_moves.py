"""The permission matrix, continued: moving a unit by import.

Same personas and convention as ``tests/test_permission_matrix.py``, whose ``unit.move`` rows
move a unit by page and API; here the same move arrives as a row of a units file, uploaded on
the import page and through the API (docs/decisions/0008-one-tree-write-path.md):

- ``ok``: the upload is accepted, the job finishes and the unit (with its problem, whose copy
  of the unit's path must follow) now lies under the new parent;
- ``forbidden`` (403): the persona may import units nowhere — the upload itself is refused;
- ``refused``: the persona imports somewhere, but the file names a unit outside their scope —
  as with any unit named in a file or a form body (see the ledger matrix), that is an error of
  the row, not a 404: the job fails, reports the row, and writes nothing.

Every row checks the database: the unit moved exactly when the row says ``ok``.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shuzhi.kernel.roles import ROLE_ACTIONS
from shuzhi.orgs.imports.models import ImportJob, ImportStatus
from shuzhi.orgs.imports.units.common import unusable_code
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import Problem
from tests.test_permission_matrix import FORBIDDEN, OK, PERSONAS, _api, _web
from tests.test_permission_matrix import stage as stage  # the fixture

pytestmark = pytest.mark.django_db

REFUSED = "refused"
RIGHT = "unit.import"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _imports_somewhere(persona: str) -> bool:
    role = PERSONAS[persona].role
    return role == "superuser" or (role is not None and RIGHT in ROLE_ACTIONS[role])


def _cases():
    for persona, channel in itertools.product(PERSONAS, ("web", "api")):
        info = PERSONAS[persona]
        allowed = _imports_somewhere(persona)
        if info.inside:
            yield persona, channel, info.inside, OK if allowed else FORBIDDEN
        for where in info.outside:
            yield persona, channel, where, REFUSED if allowed else FORBIDDEN


CASES = list(_cases())


def _file(unit: Unit, parent: Unit) -> SimpleUploadedFile:
    content = (
        f"code,name,parent_code,type\n{unit.code},{unit.name},{parent.code},{unit.type.code}\n"
    )
    return SimpleUploadedFile("move.csv", content.encode("utf-8"), content_type="text/csv")


@pytest.mark.parametrize(
    ("persona", "channel", "where", "expected"),
    CASES,
    ids=[f"{p}-unit.move_by_import-{c}-{w}-{e}" for p, c, w, e in CASES],
)
def test_matrix(stage, persona, channel, where, expected, django_capture_on_commit_callbacks):
    world, units, _people, _accounts = stage
    user = getattr(world, persona)
    unit = units[where]
    target = units[PERSONAS[persona].move_to or "city_b"]
    if target.pk == unit.parent_id:
        target = units["province"]  # a move, not the parent it already has
    problem = problem_services.create_problem(
        actor=world.root,
        unit=unit,
        description="矩阵：随组织迁移的问题",
        source="xunshi",
        found_on=datetime.date(2026, 3, 1),
        year=2026,
    )
    with django_capture_on_commit_callbacks(execute=True):
        if channel == "web":
            response = _web(user).post(reverse("unit_import"), {"file": _file(unit, target)})
        else:
            response = _api(user).post("/api/units/import", {"file": _file(unit, target)})
    status = response.status_code
    job = ImportJob.objects.filter(created_by=user).first()
    if expected == FORBIDDEN:
        assert status == 403, (status, response.content[:300])
        assert job is None
    else:
        assert status == (302 if channel == "web" else 201), (status, response.content[:300])
        assert job is not None
        if expected == OK:
            assert job.status == ImportStatus.DONE, job.errors
        else:
            assert job.status == ImportStatus.FAILED
            # The unit out of scope reads like any unusable code (no "无权" to say it exists).
            assert [(row, column, message) for row, column, message in job.errors] == [
                (2, "code", unusable_code(unit.code))
            ]
    moved = Unit.objects.get(pk=unit.pk)
    assert (moved.parent_id == target.pk) == (expected == OK), "database disagrees"
    assert Problem.objects.get(pk=problem.pk).unit_path == moved.path
    assert tree.stale_path_copies() == {}


def test_every_kind_of_outcome_has_rows():
    """The table reaches each outcome, so none of its branches is dead."""
    assert {expected for *_rest, expected in CASES} == {OK, FORBIDDEN, REFUSED}
