"""Reads of the audit trail, scoped by the audit.view grants of the reader."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q, QuerySet

from shuzhi.accounts.scope import is_global, scopes_for

from .models import AuditEntry


def audit_entries_visible_to(user) -> QuerySet[AuditEntry]:
    """Entries whose object lies in a subtree where ``user`` may read the history."""
    if is_global(user):
        return AuditEntry.objects.all()
    condition = Q(pk__in=[])
    for scope in scopes_for(user, "audit.view"):
        condition |= Q(scope_path__startswith=scope.path)
    return AuditEntry.objects.filter(condition)


def filter_audit(
    entries: QuerySet[AuditEntry],
    *,
    actor: str = "",
    object_text: str = "",
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """Narrow ``entries`` by actor name, object name or id, action and date range."""
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    if object_text:
        entries = entries.filter(Q(object_label__icontains=object_text) | Q(object_id=object_text))
    if action:
        entries = entries.filter(action__startswith=action)
    if date_from:
        entries = entries.filter(at__date__gte=date_from)
    if date_to:
        entries = entries.filter(at__date__lte=date_to)
    return entries


class AuditSearchForm(forms.Form):
    """The audit search filters; every field is optional."""

    actor = forms.CharField(label="操作人", required=False)
    object_text = forms.CharField(label="对象（名称或编号）", required=False)
    action = forms.CharField(label="操作（如 unit.move）", required=False)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
