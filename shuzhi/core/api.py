"""Audit trail API: search the history in scope."""

from __future__ import annotations

import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from . import selectors

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


@router.get("/", response=list[AuditEntryOut])
@paginate
def list_audit(
    request,
    actor: str = "",
    object_text: str = "",
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """Audit entries in the caller's scope, newest first."""
    entries = selectors.audit_entries_visible_to(request.auth)
    return selectors.filter_audit(
        entries,
        actor=actor,
        object_text=object_text,
        action=action,
        date_from=date_from,
        date_to=date_to,
    )
