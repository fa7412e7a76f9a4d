"""The demo province gets contact points for its leaders and a year of visits: varied
purposes, some points short of the agreed count, problems found in the ledger. Small tree."""

from __future__ import annotations

import io
import time

import pytest
from django.db.models import Count, OuterRef, Subquery

from shuzhi.field.demo import seed_field_demo
from shuzhi.field.models import ContactPoint, Visit, VisitProblem, VisitProblemKind
from shuzhi.orgs import demo as org_demo

pytestmark = pytest.mark.django_db


def test_demo_has_points_and_a_year_of_visits():
    org_demo.seed(scale=0.05)
    out = io.StringIO()
    started = time.monotonic()
    visits = seed_field_demo(out)
    elapsed = time.monotonic() - started
    assert visits and visits > 20, out.getvalue()
    assert elapsed < 30
    assert ContactPoint.objects.values("leader").distinct().count() >= 5
    assert Visit.objects.values("purpose").distinct().count() >= 4
    assert VisitProblem.objects.filter(kind=VisitProblemKind.FOUND).exists()
    made = Subquery(
        Visit.objects.filter(leader_id=OuterRef("leader_id"), unit_id=OuterRef("unit_id"))
        .order_by()
        .values("leader_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    counts = list(ContactPoint.objects.annotate(made=made).values_list("made", "min_visits"))
    assert any(m < need for m, need in counts) and any(m >= need for m, need in counts)
    assert seed_field_demo() is None  # idempotent
