"""Who may see and change people and their posts.

People are governed by the unit where they are registered; posts by the unit where they are
held (``Post.objects.visible_to``). The unit rules are those of :mod:`shuzhi.orgs.tree.policies`.
"""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhi.kernel.scope import may_anywhere
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree.policies import can


def may_read_audit(user) -> bool:
    """May ``user`` read audit entries somewhere (the history shown on a person's page)?"""
    return may_anywhere(user, "audit.view")


def can_person(user, action: str, person: Person) -> bool:
    """People are governed by the unit where they are registered."""
    return can(user, action, person.unit)


def people_visible_to(user, action: str = "person.view") -> QuerySet[Person]:
    """People registered in scope, or holding a post in scope."""
    return Person.objects.visible_to(user, action)
