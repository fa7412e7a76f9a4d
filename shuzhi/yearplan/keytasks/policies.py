"""Who may do what with key-task lists — the one permission authority of this part.

Existing actions are reused, as indicator sets do:

- ``round.view`` on the host — read its lists, drafts included;
- ``round.change`` on the host — create, derive, edit, publish and revise its lists, and
  change its plan settings (the host's organisation department);
- a *published* list is also read, read-only, by whoever holds a grant on a unit below the
  host (晒清单: the units it applies to see what is asked of them).

The three questions: :func:`can_list` / :func:`can_read`; :func:`visible_lists`;
:func:`users_to_notify`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from shuzhi.kernel.scope import grants_of, is_active_user, is_global, may_anywhere
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit

from .models import ListStatus, TaskList

VIEW = "round.view"
CHANGE = "round.change"


def may_plan(user) -> bool:
    """May ``user`` create or derive key-task lists somewhere (the button)?"""
    return may_anywhere(user, CHANGE)


def can_list(user, action: str, task_list: TaskList) -> bool:
    """May ``user`` perform ``action`` (``round.view`` / ``round.change``) on the list's host?"""
    return org_policies.can(user, action, task_list.host)


def _ancestor_ids_of_grants(user) -> set[int]:
    """The ids of every unit strictly above a unit where ``user`` holds a grant (read from the
    materialised paths, no query beyond the cached grants)."""
    ids: set[int] = set()
    for _role, path, _depth in grants_of(user):
        parts = [int(p) for p in path.split("/") if p]
        ids.update(parts[:-1])
    return ids


def published_below_q(user) -> Q:
    """Published lists whose host is above one of ``user``'s units (晒清单)."""
    if not is_active_user(user):
        return Q(pk__in=[])
    ids = _ancestor_ids_of_grants(user)
    return Q(status=ListStatus.PUBLISHED, host_id__in=ids) if ids else Q(pk__in=[])


def visible_lists(user) -> QuerySet[TaskList]:
    """Every list ``user`` may read: the hosts' own (drafts too) and the published lists
    above their units."""
    qs = TaskList.objects.all()
    if is_global(user):
        return qs
    return qs.filter(qs.scope_filter(user, VIEW) | published_below_q(user))


def can_read(user, task_list: TaskList) -> bool:
    """The object form of :func:`visible_lists`."""
    if can_list(user, VIEW, task_list):
        return True
    return task_list.is_published and task_list.host_id in _ancestor_ids_of_grants(user)


def users_to_notify(task_list: TaskList) -> QuerySet:
    """The accounts of the units a published list applies to: active users holding a grant on
    a unit below the host whose type one of its tasks applies to."""
    types = set(task_list.tasks.values_list("applies_to", flat=True))
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            grants__unit__path__startswith=task_list.host.path,
            grants__unit__type_id__in=types,
            grants__unit__status="active",
        )
        .exclude(grants__unit=task_list.host)
        .distinct()
    )


def parent_candidates(user, host: Unit) -> QuerySet[TaskList]:
    """The published lists a list of ``host`` may derive from: those of its ancestors."""
    ids = [int(p) for p in host.path.split("/") if p][:-1]
    return TaskList.objects.filter(status=ListStatus.PUBLISHED, host_id__in=ids).select_related(
        "host"
    )
