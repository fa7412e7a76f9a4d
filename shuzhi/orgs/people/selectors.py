"""Reads of people and posts: one query per question, always through the policies.

"Who was secretary of unit X on date D" and "every post of person P" are the two questions the
rest of the product asks most (the cycle needs the reporter of each unit; a person's page needs
their career), so each is a single query with its related rows joined in.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from shuzhi.core.models import AuditEntry
from shuzhi.core.selectors import audit_entries_visible_to
from shuzhi.orgs.people import policies
from shuzhi.orgs.people.models import Person, Post, secretary_of
from shuzhi.orgs.tree.models import Unit


def secretary_on(unit: Unit, date: datetime.date) -> Post | None:
    """The secretary post of ``unit`` on ``date`` with its person, in one query (or None)."""
    return secretary_of(unit, date)


def posts_of_person(person: Person, *, viewer=None) -> QuerySet[Post]:
    """Every post of ``person`` with its unit, newest first, in one query.

    With ``viewer``, only the posts in units the viewer may see (``post.view``) are returned:
    a person's career can cross into subtrees the viewer has no right to read.
    """
    posts = Post.objects.filter(person=person)
    if viewer is not None:
        posts = posts.visible_to(viewer, "post.view")
    return posts.select_related("unit").order_by("-start_date", "-id")


def search_people(people: QuerySet[Person], text: str) -> QuerySet[Person]:
    """Narrow ``people`` to names containing ``text`` or a staff number starting with it."""
    text = (text or "").strip()
    if not text:
        return people
    return people.filter(Q(name__icontains=text) | Q(staff_number__istartswith=text))


def people_list(user, *, text: str = "") -> QuerySet[Person]:
    """The people register as ``user`` may read it, searched, with each registered unit."""
    people = policies.people_visible_to(user, "person.view")
    return search_people(people, text).select_related("unit").order_by("name", "id")


def visible_person_or_none(user, pk: int) -> Person | None:
    """The person with ``pk`` if ``user`` may see them (with the registered unit)."""
    return Person.objects.visible_to(user).select_related("unit").filter(pk=pk).first()


def person_history(user, person: Person, post_ids: list[int]) -> QuerySet[AuditEntry]:
    """Audit entries about ``person`` and their posts that ``user`` may read, newest first."""
    about = Q(object_type="orgs.person", object_id=str(person.pk))
    if post_ids:
        about |= Q(object_type="orgs.post", object_id__in=[str(pk) for pk in post_ids])
    return audit_entries_visible_to(user).filter(about).order_by("-at", "-id")
