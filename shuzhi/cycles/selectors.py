"""Reads of rounds: the scoped, searchable list and one round with its reporters and sessions.

Every read starts from :func:`policies.rounds_visible_to`."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from shuzhi.orgs.people import policies as people_policies

from .models import Round, RoundReporter
from .policies import rounds_visible_to


def round_list(user, *, text: str = "", year: int | None = None) -> QuerySet[Round]:
    """Rounds ``user`` may see, with host and counts; ``text`` matches the host's name or code."""
    rounds = rounds_visible_to(user).select_related("host")
    if text:
        rounds = rounds.filter(
            Q(host__name__icontains=text)
            | Q(host__code__startswith=text)
            | Q(title__icontains=text)
        )
    if year:
        rounds = rounds.filter(year=year)
    return rounds.annotate(
        reporter_count=Count("reporters", distinct=True),
        session_count=Count("sessions", distinct=True),
    ).order_by("-year", "host__path")


def visible_round_or_none(user, pk: int) -> Round | None:
    return rounds_visible_to(user).select_related("host").filter(pk=pk).first()


def reporters_of(round: Round) -> QuerySet[RoundReporter]:
    """A round's reporters with unit and person, in order."""
    return round.reporters.select_related("unit", "person").order_by("sort_order", "id")


def person_candidates(user, reporter: RoundReporter):
    """People ``user`` may see who belong to or hold a post in the reporter's unit."""
    people = people_policies.people_visible_to(user)
    unit = reporter.unit
    return people.filter(Q(unit=unit) | Q(posts__unit=unit)).distinct().order_by("name", "id")
