"""Template filters that put Chinese labels on audit actions and changed fields."""

from __future__ import annotations

from django import template

from shuzhi.core import audit_labels

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``{{ e.action|action_label }}`` → “移动组织”; unknown codes show as themselves."""
    return audit_labels.action_label(str(action))


@register.filter
def field_label(field: str) -> str:
    """``{{ field|field_label }}`` → “上级组织”; unknown names show as themselves."""
    return audit_labels.field_label(str(field))
