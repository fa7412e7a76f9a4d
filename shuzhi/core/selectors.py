"""Reads of the audit trail, scoped by the audit.view grants of the reader.

An entry's ``scope_path`` is the path of the unit its object belonged to when it was written.
A reader sees the entries whose ``scope_path`` lies in a subtree where they hold
``audit.view``; superusers see everything, including entries with no scope (installation-wide
changes such as new unit types). The history of one object is shown when the reader may see
that object *now* (its current unit is in their audit scope), so a unit moved into an
organiser's subtree brings its earlier history along.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from shuzhi.kernel.scope import can_at, is_global, scopes_for

from .models import AuditEntry
from .policies import may_search_audit

# Objects whose name belongs to those who may see the object (accounts): an entry about one
# sits in the scope of the unit it touched (a grant given there), but a reader who may not see
# the account itself reads the entry with the name masked. The owning app registers, per
# object type, the ids ``user`` may see (a queryset of primary keys).
VisibleIds = Callable[[Any], QuerySet]
_PRIVATE_NAMES: dict[str, VisibleIds] = {}
MASKED_LABEL = "（范围外账号）"


def register_private_name(object_type: str, visible_ids: VisibleIds) -> None:
    """Mask the label of entries about ``object_type`` objects a reader may not see."""
    _PRIVATE_NAMES[object_type] = visible_ids


def _shown_label(user) -> Case | F:
    """The label a reader is shown: the object's own, or :data:`MASKED_LABEL` for a private
    object out of their sight."""
    if is_global(user) or not _PRIVATE_NAMES:
        return F("object_label")
    whens = [
        When(
            Q(object_type=object_type)
            & ~Q(
                object_id__in=visible_ids(user)
                .annotate(shown_id=Cast("pk", CharField()))
                .values("shown_id")
            ),
            then=Value(MASKED_LABEL),
        )
        for object_type, visible_ids in _PRIVATE_NAMES.items()
    ]
    return Case(*whens, default=F("object_label"), output_field=CharField())


def audit_entries_visible_to(user) -> QuerySet[AuditEntry]:
    """Entries whose object lies in a subtree where ``user`` may read the history, each with
    ``shown_label``: the object's label as this reader may read it (masked for an account out
    of their sight). Pages and the API show ``shown_label``, never ``object_label``."""
    if is_global(user):
        return AuditEntry.objects.annotate(shown_label=F("object_label"))
    condition = Q(pk__in=[])
    for scope in scopes_for(user, "audit.view"):
        condition |= Q(scope_path__startswith=scope.path)
    return AuditEntry.objects.filter(condition).annotate(shown_label=_shown_label(user))


def filter_audit(
    entries: QuerySet[AuditEntry],
    *,
    actor: str = "",
    object_text: str = "",
    object_type: str = "",
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """Narrow ``entries`` by actor (name or exact user name), object name or id, object type,
    action prefix and date range (local dates, both ends included). The object name is
    matched as the reader is shown it, so a masked name cannot be found by guessing it."""
    if actor:
        entries = entries.filter(Q(actor_label__icontains=actor) | Q(actor__username=actor))
    if object_text:
        entries = entries.filter(Q(shown_label__icontains=object_text) | Q(object_id=object_text))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if action:
        entries = entries.filter(action__startswith=action)
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    return entries


class AuditSearchForm(forms.Form):
    """The audit search filters; every field is optional."""

    actor = forms.CharField(
        label="操作人", required=False, max_length=150, help_text="姓名的一部分或完整用户名"
    )
    object_text = forms.CharField(
        label="对象（名称或编号）", required=False, max_length=255, help_text="名称的一部分或编号"
    )
    action = forms.CharField(
        label="操作",
        required=False,
        max_length=64,
        help_text="操作代码或其开头（每条记录的操作名称旁显示代码）",
    )
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        return data


# How to find where an object lives now, by audit ``object_type``. Each returns
# ``(path, depth)`` of the object's unit, or None when the object is gone or has no unit.
# The apps that own the objects register them (in their AppConfig.ready), so the audit trail
# stays at the bottom of the import graph (docs/decisions/0012-import-layers.md).
ObjectLocator = Callable[[str], tuple[str, int] | None]
_LOCATORS: dict[str, ObjectLocator] = {}
# Objects that are not placed in the tree (accounts): may this user see this object?
ObjectCheck = Callable[[Any, str], bool]
_CHECKS: dict[str, ObjectCheck] = {}


def register_object_locator(object_type: str, locator: ObjectLocator) -> None:
    """Let an app say where its objects live, so their history is scoped by their unit now."""
    _LOCATORS[object_type] = locator


def register_object_check(object_type: str, check: ObjectCheck) -> None:
    """Let an app decide itself who sees the history of its objects that have no unit."""
    _CHECKS[object_type] = check


def object_id_int(value: str) -> int:
    """An audit ``object_id`` as a primary key (0, matching nothing, when it is not a number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def object_history(user, object_type: str, object_id: str) -> QuerySet[AuditEntry] | None:
    """Every entry about one object, or None when ``user`` may not see that object's history.

    Objects with a registered check (accounts) are visible when it says so; objects
    with a registered locator through their current unit; anything else (deleted objects,
    types without a locator) through the entries' own scope paths.
    """
    entries = AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
    if is_global(user):
        return entries
    if not may_search_audit(user):
        return None
    check = _CHECKS.get(object_type)
    if check is not None:
        return entries if check(user, object_id) else None
    locator = _LOCATORS.get(object_type)
    where = locator(object_id) if locator else None
    if where is not None:
        return entries if can_at(user, "audit.view", *where) else None
    visible = entries.filter(pk__in=audit_entries_visible_to(user).values("pk"))
    return visible if visible.exists() else None
