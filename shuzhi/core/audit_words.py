"""The audit trail's changes in words: field names and stored values shown by their labels.

An audit entry stores what changed as data — field names, status codes, grade codes, nested
settings. The trail is read by people (an organiser checking who closed a problem), so the page
shows each field by its label and each value by its name: a choice by its label (``closed`` →
已销号, from the models' own choices), a grade or voter category by the name apps register
(:func:`register_values`), a list as an enumeration, a block of settings as a count. Stored
data is untouched; searches still filter by the codes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from . import audit_labels

# Labels registered by apps for codes that are policy data rather than model choices (grades on
# the default scale, voter categories): code → label.
VALUE_LABELS: dict[str, str] = {}
# Field paths such as ``sections.problems`` name a part of an object: prefix → label.
PART_LABELS: dict[str, str] = {}
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:[_.][a-z0-9]+)*$")
ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")
MAX_INLINE_KEYS = 6


def register_values(labels: Mapping[str, str]) -> None:
    """Let an app name codes its audit entries store (called from ``AppConfig.ready``)."""
    for code, label in labels.items():
        VALUE_LABELS.setdefault(code, label)


def register_parts(labels: Mapping[str, str]) -> None:
    """Let an app name the parts of its objects (``sections.problems`` → 存在问题及原因)."""
    PART_LABELS.update(labels)


@functools.cache
def _choice_labels() -> dict[str, str]:
    """Every string choice of every model, value → label (the first model wins a clash)."""
    labels: dict[str, str] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and value:
                    labels.setdefault(value, str(label))
    return labels


def field_label(field: str, object_type: str = "") -> str:
    """The label of a changed field: the shared labels, else the model's verbose name, else
    a part's label; a name nothing knows reads as 其他 rather than as code."""
    known = audit_labels.FIELD_LABELS.get(field)
    if known:
        return known
    model = _model(object_type)
    if model is not None:
        try:
            # Reverse relations (``items``, ``grants``) have no verbose name of their own.
            verbose = getattr(model._meta.get_field(field), "verbose_name", None)
        except FieldDoesNotExist:
            verbose = None
        if verbose:
            return str(verbose)
    return _part(field) or ("其他" if IDENTIFIER.match(field) else field)


def _model(object_type: str):
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except (LookupError, ValueError):
        return None


def _part(code: str) -> str:
    if code in PART_LABELS:
        return PART_LABELS[code]
    head, _dot, rest = code.rpartition(".")
    if head in PART_LABELS and rest.isdigit():
        return f"{PART_LABELS[head]}第 {rest} 项"
    return ""


def describe(entry) -> list[tuple[str, str, str]]:
    """``(field label, before, after)`` of an audit entry, in words. A value is first looked
    up among the choices of the changed field itself (``closed`` is 已销号 on a problem and 已结束
    on a round), then among the names every app registers."""
    model = _model(entry.object_type or "")
    rows = []
    for field, before, after in entry.change_pairs:
        choices = _field_choices(model, field)
        rows.append(
            (
                field_label(field, entry.object_type or ""),
                value_text(before, choices),
                value_text(after, choices),
            )
        )
    return rows


def _field_choices(model, field: str) -> dict[str, str]:
    if model is None:
        return {}
    try:
        flat = getattr(model._meta.get_field(field), "flatchoices", None) or []
    except FieldDoesNotExist:
        return {}
    return {str(value): str(label) for value, label in flat}


def value_text(value: object, choices: Mapping[str, str] | None = None) -> str:
    """A stored value in words (see the module docstring); ``choices`` are the changed
    field's own, tried first."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and choices and value in choices:
        return choices[value]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        if all(not isinstance(v, dict | list | tuple) for v in value):
            return "、".join(value_text(v, choices) for v in value) or "（无）"
        names = [_name_of(v) for v in value]
        if all(names):
            return "、".join(str(n) for n in names)
        return f"{len(value)} 项"
    if isinstance(value, dict):
        flat = all(not isinstance(v, dict | list | tuple) for v in value.values())
        if flat and len(value) <= MAX_INLINE_KEYS:
            return "；".join(f"{field_label(str(k))} {value_text(v)}" for k, v in value.items())
        return f"{len(value)} 项设置"
    return str(value)


def _string(value: str) -> str:
    label = VALUE_LABELS.get(value) or _choice_labels().get(value) or _part(value)
    if label:
        return label
    moment = ISO_DATETIME.match(value)
    if moment:
        return f"{moment.group(1)} {moment.group(2)}"
    return value


def _name_of(item: object) -> str:
    if isinstance(item, dict):
        for key in ("label", "name", "title"):
            if item.get(key):
                return str(item[key])
    return ""
