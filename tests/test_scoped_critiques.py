"""``Critique.objects.visible_to`` agrees with the critique policies for every persona.

The critique rules (docs/permissions.md, "Problems, reports, critiques and plans") are written
twice on purpose: as a filter on the queryset, which lists and the one loader use, and as the
object policies ``can_view_critique`` / ``can_critique``. This matrix builds, for every unit of
the stage, a draft and a published critique of the unit reporting in its parent's round, and
checks for each persona of the permission matrix that the two forms — and the loader's 404 —
give the same answer on every critique.
"""

from __future__ import annotations

import pytest
from django.http import Http404

from shuzhi.kernel.loader import load
from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.critiques.models import Critique
from shuzhi.reports.critiques.policies import can_critique, can_view_critique
from tests.test_permission_matrix import PERSONAS
from tests.test_permission_matrix import stage as stage  # the fixture
from tests.test_permission_matrix_ledger import CRITIQUE_TEXT, Ledger
from tests.test_permission_matrix_ledger import ledger as ledger  # the fixture

pytestmark = pytest.mark.django_db

# Units whose reporters are critiqued: every level, both provinces, in and out of each scope.
WHERE = ("province", "city_a", "county_a1", "township_a1x", "city_b", "county_b1", "other")


@pytest.fixture
def critiques(ledger: Ledger) -> list[Critique]:
    made = []
    for where in WHERE:
        made.append(ledger.critique(where))  # published
        made.append(
            critique_services.save_critique(
                actor=ledger.root,
                reporter=ledger.reporter(where),
                text=CRITIQUE_TEXT,
                role="team_member",
                portfolio="组织工作",
                problems=[],
            )
        )
    return list(
        Critique.objects.filter(pk__in=[c.pk for c in made]).select_related(
            "reporter__round__host", "reporter__unit"
        )
    )


def _user(ledger: Ledger, persona: str):
    return getattr(ledger.world, persona)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_visible_to_agrees_with_the_policy(persona, ledger, critiques):
    user = _user(ledger, persona)
    seen = set(Critique.objects.visible_to(user).values_list("pk", flat=True))
    written = set(Critique.objects.visible_to(user, "critique.write").values_list("pk", flat=True))
    assert seen == {c.pk for c in critiques if can_view_critique(user, c)}
    assert written == {c.pk for c in critiques if can_critique(user, c.reporter)}
    for critique in critiques:
        qs = Critique.objects.all()
        assert qs.allows(user, "critique.view", critique) == (critique.pk in seen)
        assert qs.allows(user, "critique.write", critique) == (critique.pk in written)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_the_loader_hides_what_the_policy_does_not_show(persona, ledger, critiques):
    user = _user(ledger, persona)
    for critique in critiques:
        if can_view_critique(user, critique):
            assert load(Critique, user, pk=critique.pk) == critique
        else:
            with pytest.raises(Http404):
                load(Critique, user, pk=critique.pk)


def test_the_matrix_covers_every_answer(ledger, critiques):
    """The stage is rich enough to matter: somebody sees a draft, somebody sees only the
    published critique, somebody sees none, and a superior who reads a critique does not
    write it."""
    drafts = [c for c in critiques if not c.published]
    published = [c for c in critiques if c.published]
    answers = {
        (persona, can_view_critique(_user(ledger, persona), c), c.published)
        for persona in PERSONAS
        for c in critiques
    }
    assert any(seen and not pub for _p, seen, pub in answers)
    assert any(not seen and not pub for _p, seen, pub in answers)
    assert any(seen and pub for _p, seen, pub in answers)
    assert any(not seen and pub for _p, seen, pub in answers)
    bob = ledger.world.bob  # type: ignore[attr-defined]
    assert any(can_view_critique(bob, c) and not can_critique(bob, c.reporter) for c in published)
    assert drafts and published
