"""The one transition engine: every status field in the product moves through :func:`apply`.

A status machine is a :class:`Machine`: the model and its status field, the table of allowed
:class:`Transition` rows, the policy that decides who may make a move, the history row (where
the model keeps one), the audit action and the messages a refusal speaks. Each app declares its
machines in its own ``transitions.py`` module and registers them with :func:`register`; the
generic test walks :func:`machines` so a new machine is covered the day it is declared.

:func:`apply` makes one move, in this order, inside one transaction:

1. lock the row (``select_for_update``) and read its current status;
2. refuse a pair the table does not list (``ValidationError`` with the machine's message);
3. ask the machine's policy (``PermissionDenied``);
4. validate: the reason a move requires, then the caller's domain hook;
5. set the status (and whatever the machine's and the caller's ``prepare`` hooks set), save;
6. write the history row (when the machine has one) and the audit entry
   (:func:`shuzhi.core.audit.record`);
7. schedule the caller's side effects with ``transaction.on_commit``.

This module imports no domain app: apps import it, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.module_loading import autodiscover_modules

from . import audit, clock


@dataclass(frozen=True)
class Transition:
    """One allowed move ``source → target``.

    ``permission`` is what the machine's policy checks (an action such as ``problem.verify``, or
    a role word such as ``writer``); ``label`` is the button text; ``action`` the audit action
    name (empty: the machine's); ``requires_reason`` asks for a written reason."""

    source: str
    target: str
    label: str
    permission: str = ""
    action: str = ""
    requires_reason: bool = False


Policy = Callable[[Any, Any, Transition], bool]
Validator = Callable[[Any, Transition], Mapping[str, str] | None]


def _plain(value: Any) -> str:
    return str(getattr(value, "value", value))


def _default_refused(machine: Machine, obj: Any, source: str, target: str) -> dict[str, str]:
    return {
        machine.field: f"状态不能从“{machine.label_of(source)}”改为“{machine.label_of(target)}”。"
    }


def _default_reason(transition: Transition) -> dict[str, str]:
    return {"reason": f"“{transition.label}”须填写理由。"}


@dataclass(frozen=True, eq=False)
class Machine:
    """The status machine of one field of one model: its table and how a move is checked,
    recorded and refused (see the module docstring)."""

    name: str
    model: type[models.Model]
    transitions: Sequence[Transition]
    policy: Policy
    scope_path: Callable[[Any], str]
    # The audit action of a move whose transition names none.
    action: str = ""
    field: str = "status"
    # The refusal message when the user may not make the move.
    denied: Callable[[Any, Transition], str] = lambda obj, t: f"您没有权限执行“{t.label}”。"
    # The field errors when the table does not allow ``source → target``.
    refused: Callable[[Machine, Any, str, str], Mapping[str, str]] = _default_refused
    # The field errors when a move that requires a reason has none.
    reason_missing: Callable[[Transition], Mapping[str, str]] = _default_reason
    # Writes the history row of a move (None: the model keeps none).
    history: Callable[..., Any] | None = None
    # Related rows the lock loads with the object (for scope paths and messages).
    related: Sequence[str] = ()
    # Saved alongside the status on every move (``updated_at``, ``status_changed_at``…).
    touch: Sequence[str] = ()
    # Set to the current time on every move (e.g. ``status_changed_at``).
    stamp: str = ""
    # Sets the fields every move of this kind sets, whoever calls (e.g. who closed an item);
    # called as ``prepare(obj, move, actor)`` before the caller's own ``prepare``. The fields
    # it names in ``prepares`` are saved with the status.
    prepare: Callable[[Any, Transition, Any], None] | None = None
    prepares: Sequence[str] = ()

    def __post_init__(self) -> None:
        self._table  # noqa: B018 (check the table when the machine is declared)

    @cached_property
    def _table(self) -> dict[tuple[str, str], Transition]:
        table: dict[tuple[str, str], Transition] = {}
        values = set(self.statuses)
        for move in self.transitions:
            pair = (_plain(move.source), _plain(move.target))
            if pair in table:
                raise ValueError(f"{self.name}: {pair} appears twice in the table")
            if not set(pair) <= values:
                raise ValueError(f"{self.name}: {pair} names an unknown status")
            if not (move.action or self.action):
                raise ValueError(f"{self.name}: {pair} names no audit action")
            table[pair] = move
        return table

    def _choices(self) -> list[tuple[Any, Any]]:
        field = self.model._meta.get_field(self.field)
        if not isinstance(field, models.Field):
            raise TypeError(f"{self.name}: {self.field} is not a concrete field")
        return list(field.choices or [])

    @property
    def statuses(self) -> list[str]:
        """Every value of the status field, in the order of its choices."""
        return [str(value) for value, _label in self._choices()]

    def label_of(self, status: str) -> str:
        """The readable label of ``status`` (the value itself when unknown)."""
        return str(dict(self._choices()).get(status, status or "—"))

    @property
    def table(self) -> dict[tuple[str, str], Transition]:
        """``{(source, target): transition}`` for every allowed pair."""
        return dict(self._table)

    def get(self, source: str, target: str) -> Transition | None:
        """The move ``source → target``, or None when the table refuses it."""
        return self._table.get((_plain(source), _plain(target)))

    def targets(self, source: str) -> list[str]:
        """The statuses reachable from ``source`` in one move."""
        source = _plain(source)
        return [to for (frm, to) in self._table if frm == source]

    def moves_for(self, obj: Any, user: Any) -> list[Transition]:
        """The moves ``user`` may make on ``obj`` from its current status (for buttons)."""
        source = _plain(getattr(obj, self.field))
        return [
            move
            for (frm, _to), move in self._table.items()
            if frm == source and self.policy(user, obj, move)
        ]

    def lock(self, obj: Any) -> Any:
        """Re-read ``obj`` locked for update, with the machine's related rows."""
        queryset = self.model._default_manager.select_for_update(of=("self",))
        if self.related:
            queryset = queryset.select_related(*self.related)
        return queryset.get(pk=obj.pk)


_REGISTRY: dict[str, Machine] = {}


def register(machine: Machine) -> Machine:
    """Add ``machine`` to the registry the generic test walks; returns it for assignment."""
    known = _REGISTRY.get(machine.name)
    if known is not None and known is not machine:
        raise ValueError(f"two status machines are named {machine.name}")
    _REGISTRY[machine.name] = machine
    return machine


def machines() -> dict[str, Machine]:
    """Every registered machine, after importing each installed app's ``transitions`` module."""
    autodiscover_modules("transitions")
    return dict(_REGISTRY)


def check(machine: Machine, *, actor: Any, obj: Any, to: str) -> Transition:
    """Steps 2 and 3 of :func:`apply` on an object the caller holds locked: the move
    ``status → to`` if the table lists it and the policy lets ``actor`` make it; raises
    otherwise. For services that must do other writes between the checks and the move."""
    source = _plain(getattr(obj, machine.field))
    move = machine.get(source, _plain(to))
    if move is None:
        raise ValidationError(dict(machine.refused(machine, obj, source, _plain(to))))
    if not machine.policy(actor, obj, move):
        raise PermissionDenied(machine.denied(obj, move))
    return move


def apply(
    machine: Machine,
    *,
    actor: Any,
    obj: Any,
    to: str,
    reason: str = "",
    note: str | None = None,
    audit_note: str | None = None,
    action: str = "",
    validate: Validator | None = None,
    prepare: Callable[[Any, Transition], None] | None = None,
    update_fields: Iterable[str] | None = (),
    changes: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    after_commit: Iterable[Callable[[], Any]] = (),
    locked: bool = False,
) -> Any:
    """Move ``obj`` to ``to`` along ``machine`` (see the module docstring) and return it.

    ``reason`` is checked against ``requires_reason`` and written to the history row;
    ``note`` (default: the reason) goes to the history row and, unless ``audit_note`` says
    otherwise, to the audit entry; ``action`` names the audit action where one pair is reached
    by services that each keep their own name. ``validate``
    returns (or raises) field errors after the table and policy checks; ``prepare`` sets the
    other fields of the move, saved with ``update_fields`` (None: save every field).
    ``changes`` (or a function of the saved object giving them) adds to the audit entry's
    ``{status: [from, to]}``. ``locked``: the caller has
    already locked ``obj`` in this transaction."""
    target = _plain(to)
    with transaction.atomic():
        if not locked:
            obj = machine.lock(obj)
        source = _plain(getattr(obj, machine.field))
        move = check(machine, actor=actor, obj=obj, to=target)
        reason = (reason or "").strip()
        errors: dict[str, Any] = {}
        if move.requires_reason and not reason:
            errors.update(machine.reason_missing(move))
        if validate is not None:
            errors.update(validate(obj, move) or {})
        if errors:
            raise ValidationError(errors)
        setattr(obj, machine.field, target)
        if machine.stamp:
            setattr(obj, machine.stamp, clock.now())
        if machine.prepare is not None:
            machine.prepare(obj, move, actor)
        if prepare is not None:
            prepare(obj, move)
        if update_fields is None:
            obj.save()
        else:
            fields = [machine.field, *machine.touch, *machine.prepares, *update_fields]
            if machine.stamp:
                fields.append(machine.stamp)
            obj.save(update_fields=list(dict.fromkeys(fields)))
        text = reason if note is None else note
        extra = changes(obj) if callable(changes) else changes
        if machine.history is not None:
            machine.history(obj, actor=actor, source=source, target=target, note=text)
        audit.record(
            actor=actor,
            action=action or move.action or machine.action,
            obj=obj,
            scope_path=machine.scope_path(obj),
            changes={machine.field: [source, target], **(extra or {})},
            note=text if audit_note is None else audit_note,
        )
        for effect in after_commit:
            transaction.on_commit(effect)
    return obj
