"""Write audit entries. Every service calls :func:`record` inside its own transaction.

Ballot contents must never pass through here: callers record that a ballot round opened or
closed, never what anyone voted.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from .models import AuditEntry


def _plain(value: Any) -> Any:
    """Turn a field value into something JSON can hold and a person can read."""
    if isinstance(value, models.Model):
        # People by their names (a user's display name), never their login names.
        return str(getattr(value, "display_name", None) or value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "label") and hasattr(value, "value"):  # a Choices member
        return value.value
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Capture the readable values of ``fields`` before a change."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], obj: models.Model) -> dict[str, list[Any]]:
    """Return ``{field: [before, after]}`` for the fields of ``before`` that changed on ``obj``."""
    changes = {}
    for name, old in before.items():
        new = _plain(getattr(obj, name))
        if old != new:
            changes[name] = [old, new]
    return changes


# Ballot contents (what was voted) never reach the audit log: an entry about one of these
# would tie a vote to a time, an actor or a label (docs/decisions/0004-ballot-anonymity.md).
BALLOT_CONTENT_TYPES = frozenset(
    {"ballots.ballot", "ballots.ballotentry", "ballots.ballotcomment", "ballots.paperentry"}
)


def _actor(actor: Any) -> tuple[Any, str]:
    """The user to link (None for anonymous or a label) and the label kept with the entry."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = ""
    if user is not None:
        label = getattr(user, "display_name", "") or user.get_username()
    elif isinstance(actor, str):
        label = actor
    return user, label[:150]


def _entry(
    *,
    user: Any,
    label: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    scope_path: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:255]
    if object_type in BALLOT_CONTENT_TYPES:
        raise ValueError(f"Ballot contents are never audited ({object_type}).")
    return AuditEntry(
        actor=user,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:255],
        scope_path=scope_path,
        changes=changes or {},
        note=note,
    )


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    scope_path: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one audit entry; call it inside the transaction of the change it describes."""
    user, label = _actor(actor)
    entry = _entry(
        user=user,
        label=label,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        scope_path=scope_path,
        changes=changes,
        note=note,
    )
    entry.save(force_insert=True)
    return entry


def record_many(*, actor: Any, entries: Iterable[dict[str, Any]], batch_size: int = 2000) -> int:
    """Append many audit entries by one actor at once; answers how many were written.

    Each item of ``entries`` takes the keyword arguments of :func:`record` other than
    ``actor`` (``action``, ``obj`` or ``object_type``/``object_id``/``object_label``,
    ``scope_path``, ``changes``, ``note``), with the same rules: the same actor label, labels
    cut to their column, no entry about ballot contents. The bulk path of imports; call it
    inside the transaction of the change the entries describe.
    """
    user, label = _actor(actor)
    built = [_entry(user=user, label=label, **entry) for entry in entries]
    if built:
        AuditEntry.objects.bulk_create(built, batch_size=batch_size)
    return len(built)
