"""Template filters that put Chinese labels on audit actions and changed fields."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html

from shuzhi.core import audit_labels, audit_words

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``{{ e.action|action_label }}`` → “移动组织”; unknown codes show as themselves."""
    return audit_labels.action_label(str(action))


@register.filter
def field_label(field: str, object_type: str = "") -> str:
    """``{{ field|field_label:e.object_type }}`` → “上级组织”: the shared label, else the
    model's verbose name (:func:`audit_words.field_label`)."""
    return audit_words.field_label(str(field), str(object_type or ""))


# A file's name (验收报告.pdf, or several joined by 、) is shown as it is, marked as a name.
FILE_NAMES = re.compile(r"^[^\s、]+\.[A-Za-z0-9]{2,5}(、[^\s、]+\.[A-Za-z0-9]{2,5})*$")


@register.filter
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """``{% for field, before, after in e|audit_changes %}``: the changes in words."""
    return audit_words.describe(entry)


@register.filter
def audit_value(value: object) -> str:
    """``{{ before|audit_value }}`` → “已销号”: a stored value in words, a file's name marked
    as a name."""
    text = value if isinstance(value, str) else audit_words.value_text(value)
    if FILE_NAMES.match(text):
        return format_html("<code>{}</code>", text)
    return text


@register.filter
def audit_note(note: str) -> str:
    """An entry's note as it is, with a file's name (the note of an evidence upload) marked as
    a name."""
    text = str(note or "")
    if FILE_NAMES.match(text):
        return format_html("<code>{}</code>", text)
    return text
