"""``Grading.objects.visible_to`` and ``GradeRow.objects.visible_to`` agree with the grading
policies for every persona.

The sight of a grading and of its rows (404 or not) is written as a filter on the querysets,
which the one loader uses, and as the object policies ``can_see_round`` / ``can_see_row``.
For the finished session of ``shuzhi/assessment/tests/grading_setup.py`` (广州市委, 深圳市委
and 荔湾区委 report), hosted in turn by a unit inside and outside each persona's scope, this
checks that both forms — and the loader — give the same answer for each persona of the
permission matrix, the reporters' own side included.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.grading.policies import can_see_round, can_see_row, can_view_row, load_row
from tests.test_permission_matrix import PERSONAS
from tests.test_permission_matrix import stage as stage  # the fixture
from tests.test_permission_matrix_grading import _graded

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["city_a", "county_b1"])
def test_visible_to_agrees_with_the_policy(host, stage):
    world, units, _people, _accounts = stage
    graded = _graded(world, units[host], confirmed=True)
    rows = list(
        GradeRow.objects.filter(grading=graded.grading).select_related(
            "grading__round__host", "reporter__unit", "reporter__person"
        )
    )
    answers = set()
    for persona in PERSONAS:
        user = getattr(world, persona)
        gradings = set(Grading.objects.visible_to(user).values_list("pk", flat=True))
        assert (graded.grading.pk in gradings) == can_see_round(user, graded.round), persona
        seen = set(GradeRow.objects.visible_to(user).values_list("pk", flat=True))
        assert seen == {r.pk for r in rows if can_see_row(user, r)}, persona
        for row in rows:
            assert GradeRow.objects.all().allows(user, "round.view", row) == (row.pk in seen)
            if row.pk not in seen:
                with pytest.raises(Http404):
                    load_row(user, row.pk)
            elif can_view_row(user, row):
                assert load_row(user, row.pk) == row
            else:
                with pytest.raises(PermissionDenied):
                    load_row(user, row.pk)
            answers.add((row.pk in seen, can_see_round(user, graded.round)))
    # Somebody sees the rows through the host, somebody not at all — and, where the host is
    # outside bob's city, bob sees 广州市委's row only as its reporter.
    expected = {(True, True), (False, False)} | ({(True, False)} if host == "county_b1" else set())
    assert answers == expected
