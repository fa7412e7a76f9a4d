"""The one loader of an object for a page or an API endpoint.

The rule (docs/permissions.md, "404 or 403"): an object the user may not *see* answers 404,
so probing ids reveals nothing; an object they see but may not act on answers 403. Pages and
the API raise the same exceptions (the API turns them into 404/403 JSON answers), so one
call serves both::

    unit = load(Unit.objects.select_related("type"), request.user, "unit.change", pk=pk)
    problem = load(Problem, request.auth, "problem.rectify", pk=problem_id)
    report = load(Report, user, "report.write", pk=pk, allowed=policies.can_write_report)

``visible`` / ``allowed`` take a policy ``(user, obj) -> bool`` where the rule is more than
scope (the reporter's own grade, a critique written exactly on the host …).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from .scope import may_anywhere

NOT_FOUND = "未找到，或不在您的查看范围内。"
DENIED = "您没有权限执行此操作。"

Policy = Callable[[Any, Any], bool]


def _queryset(source: QuerySet | type[Model]) -> QuerySet:
    if isinstance(source, QuerySet):
        return source
    return source._default_manager.all()


def load(
    source: QuerySet | type[Model],
    user,
    action: str | None = None,
    *,
    view: str | None = None,
    visible: Policy | None = None,
    narrowed: bool = False,
    allowed: Policy | None = None,
    denied: str = DENIED,
    not_found: str = NOT_FOUND,
    **lookup: Any,
) -> Any:
    """The object of ``source`` matching ``lookup``: 404 when out of ``user``'s sight, 403
    when seen but ``action`` (or the ``allowed`` policy) refuses.

    Sight is the queryset's ``visible_to(user, view)`` (``view`` defaults to the model's view
    action), or the ``visible`` policy for objects whose sight is more than scope, or — with
    ``narrowed`` — ``source`` itself, already narrowed by a policy to what ``user`` sees (the
    accounts rule, which is about every grant of an account, is such a policy).
    """
    qs = _queryset(source)
    if visible is None and not narrowed:
        if not hasattr(qs, "visible_to"):
            raise TypeError(f"{qs.model.__name__} is not scoped: pass visible=")
        view = view or qs.view_action  # type: ignore[attr-defined]
        qs = qs.visible_to(user, view)  # type: ignore[attr-defined]
    try:
        obj = qs.get(**lookup)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise Http404(not_found) from None
    if visible is not None and not visible(user, obj):
        raise Http404(not_found)
    if allowed is not None:
        ok = allowed(user, obj)
    elif action is not None and action != view:
        ok = qs.allows(user, action, obj)  # type: ignore[attr-defined]
    else:
        ok = True
    if not ok:
        raise PermissionDenied(denied)
    return obj


def require_anywhere(user, action: str, denied: str = DENIED) -> None:
    """403 unless ``user`` may perform ``action`` somewhere (pages without an object)."""
    if not may_anywhere(user, action):
        raise PermissionDenied(denied)


def require(ok: bool, denied: str = DENIED) -> None:
    """403 unless a policy answered yes (the object was already loaded in sight)."""
    if not ok:
        raise PermissionDenied(denied)
