"""Audit trail API: search the history in scope, and the history of one object.

Scoped like the pages: no ``audit.view`` anywhere is 403; an object whose history the caller
may not see is 404.
"""

# No ``from __future__ import annotations`` here: ninja builds the query-parameter model from the
# real annotations, and a string "datetime.date | None" cannot be resolved there.
import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import paginate

from . import policies, selectors

router = Router(tags=["审计"])


class AuditEntryOut(Schema):
    id: int
    at: datetime.datetime
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict
    note: str

    @staticmethod
    def resolve_object_label(obj):
        # The label as this reader may read it (an account out of sight is masked).
        return getattr(obj, "shown_label", obj.object_label)


@router.get("/", response=list[AuditEntryOut])
@paginate
def list_audit(
    request,
    actor: str = "",
    object_text: str = "",
    object_type: str = "",
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """Audit entries in the caller's scope, newest first."""
    if not policies.may_search_audit(request.auth):
        raise PermissionDenied("您没有查询操作记录的权限。")
    entries = selectors.audit_entries_visible_to(request.auth)
    return selectors.filter_audit(
        entries,
        actor=actor,
        object_text=object_text,
        object_type=object_type,
        action=action,
        date_from=date_from,
        date_to=date_to,
    )


@router.get("/object/{object_type}/{object_id}", response=list[AuditEntryOut])
@paginate
def object_history(request, object_type: str, object_id: str):
    """Every entry about one object, newest first, if the caller may see that object."""
    entries = selectors.object_history(request.auth, object_type, object_id)
    if entries is None:
        raise Http404
    return entries
