"""Every change to a problem, its notes, evidence and sources goes through these functions.

Keyword-only arguments, an explicit ``actor``, a policy check, Chinese validation messages per
field, one transaction and an audit entry in it (``scope_path`` = the problem's unit path), so
a refused change leaves nothing behind.

The status moves only along the table of ``transitions.py``, checked in :func:`transition`;
closing (销号) also needs a verifier other than the responsible person, a verdict and at least
one piece of evidence. At year rollover :func:`carry_over` copies every item not closed into
the next year; the old item then stays as the record of its year and is no longer worked on.
A problem can be deleted (:func:`delete_problem`) only before any work on it has started
(:func:`why_started`, the one rule the critiques follow too).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q

from shuzhi.core import audit, clock, transitions
from shuzhi.core.files import DOCUMENT, IMAGE, VIDEO, check_upload, safe_filename
from shuzhi.core.transitions import Transition
from shuzhi.orgs.people.models import Person
from shuzhi.orgs.tree import paths as tree
from shuzhi.orgs.tree.models import Unit
from shuzhi.orgs.tree.policies import can

from . import extensions
from .models import (
    CARRIED_SOURCE_CODE,
    DESCRIPTION_MAX_LENGTH,
    NOT_CLOSED_STATUSES,
    Evidence,
    Problem,
    ProblemSource,
    ProblemStatus,
    ProblemTransition,
    ProgressNote,
    ResponsibilityKind,
    Severity,
)
from .policies import can_carry_over, can_manage_sources, can_problem
from .transitions import PROBLEM, record_move

EVIDENCE_KINDS = {DOCUMENT, IMAGE, VIDEO}
NOTE_MAX_LENGTH = 2000
EVIDENCE_NOTE_MAX_LENGTH = 200
NAME_MAX_LENGTH = 50
DEPARTMENT_MAX_LENGTH = 100
SOURCE_NAME_MAX_LENGTH = 50
MIN_YEAR, MAX_YEAR = 2000, 2100
# Codes the services themselves rely on: they can be renamed but never switched off.
PROTECTED_SOURCE_CODES = frozenset({CARRIED_SOURCE_CODE, "critique", "ballot", "assessment"})
# Anyone working on an item (the unit, the recorder, the verifier) may edit its rectification
# part, add notes and evidence.
WORK_ACTIONS = ("problem.rectify", "problem.create", "problem.verify")
# The problem itself (what, where found, how serious) is the recorder's or verifier's word.
RECORD_FIELDS = frozenset({"description", "source", "severity", "found_on"})
RESPONSIBILITY_FIELDS = frozenset(
    {
        "responsible_leader",
        "responsible_leader_name",
        "responsible_person",
        "responsible_person_name",
        "responsible_department",
        "responsibility_kind",
        "measures",
        "deadline",
    }
)
UPDATABLE_FIELDS = RECORD_FIELDS | RESPONSIBILITY_FIELDS
# What a critique says about a problem it names: its author side may reword these.
CRITIQUE_FIELDS = frozenset({"description", "severity", "deadline"})
AUDIT_FIELDS = sorted(UPDATABLE_FIELDS)


def status_label(status: str) -> str:
    try:
        return str(ProblemStatus(status).label)
    except ValueError:
        return status or "—"


def _actor_label(actor) -> str:
    if getattr(actor, "is_authenticated", False):
        return (getattr(actor, "display_name", "") or actor.get_username())[:150]
    return str(actor or "")[:150]


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_any(actor, problem: Problem, actions: tuple[str, ...], message: str) -> None:
    if not any(can_problem(actor, action, problem) for action in actions):
        raise PermissionDenied(message)


def _locked(problem: Problem) -> Problem:
    """Re-read ``problem`` under a row lock so concurrent moves serialise."""
    return (
        Problem.objects.select_for_update(of=("self",))
        .select_related("unit", "source", "responsible_person")
        .get(pk=problem.pk)
    )


def _refuse_finished(problem: Problem) -> None:
    """Closed items and items already carried into the next year are no longer worked on."""
    if problem.status == ProblemStatus.CLOSED:
        raise ValidationError({"__all__": "该问题已销号，不能再修改。"})
    if Problem.objects.filter(carried_from_id=problem.pk).exists():
        raise ValidationError(
            {"__all__": f"该问题已转入{problem.year + 1}年度，请在新年度的台账中办理。"}
        )


def _resolve_source(source, errors: dict[str, str]) -> ProblemSource | None:
    if isinstance(source, ProblemSource):
        found: ProblemSource | None = source
    else:
        found = ProblemSource.objects.filter(code=str(source or "")).first()
    if found is None:
        errors["source"] = "请选择问题来源。" if not source else f"未知的问题来源“{source}”。"
        return None
    if not found.is_active:
        errors["source"] = f"问题来源“{found.name}”已停用，请选择其他来源。"
    return found


def _check_person(
    value, field: str, errors: dict[str, str], label: str
) -> tuple[Person | None, bool]:
    if value is None or value == "":
        return None, True
    if not isinstance(value, Person):
        try:
            value = Person.objects.get(pk=int(value))
        except (Person.DoesNotExist, TypeError, ValueError):
            errors[field] = f"找不到该{label}。"
            return None, False
    return value, True


def _clean_fields(values: dict[str, Any], *, problem: Problem | None) -> dict[str, Any]:
    """Validate the editable fields present in ``values``; raise one ValidationError with a
    Chinese message per bad field. Returns the cleaned values."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    today = clock.today()
    if "description" in values:
        text = str(values["description"] or "").strip()
        if not text:
            errors["description"] = "请填写问题描述。"
        elif len(text) > DESCRIPTION_MAX_LENGTH:
            errors["description"] = f"问题描述不能超过 {DESCRIPTION_MAX_LENGTH} 字。"
        cleaned["description"] = text
    if "source" in values:
        source = _resolve_source(values["source"], errors)
        if (
            source is not None
            and problem is not None
            and source.pk == problem.source_id
            and "source" in errors
        ):
            # Keeping a source that was switched off since is fine.
            del errors["source"]
        cleaned["source"] = source
    if "severity" in values:
        severity = values["severity"] or Severity.GENERAL
        if severity not in Severity.values:
            errors["severity"] = "请选择严重程度。"
        cleaned["severity"] = severity
    if "responsibility_kind" in values:
        kind = values["responsibility_kind"] or ResponsibilityKind.PRINCIPAL
        if kind not in ResponsibilityKind.values:
            errors["responsibility_kind"] = "请选择责任类型。"
        cleaned["responsibility_kind"] = kind
    if "found_on" in values:
        found_on = values["found_on"]
        if not isinstance(found_on, datetime.date):
            errors["found_on"] = "请填写发现日期。"
        elif found_on > today:
            errors["found_on"] = "发现日期不能晚于今天。"
        cleaned["found_on"] = found_on
    if "deadline" in values:
        deadline = values["deadline"] or None
        if deadline is not None and not isinstance(deadline, datetime.date):
            errors["deadline"] = "完成时限不是有效日期。"
        cleaned["deadline"] = deadline
    for field, label in (("responsible_leader", "责任领导"), ("responsible_person", "责任人")):
        if field in values:
            person, _ok = _check_person(values[field], field, errors, label)
            cleaned[field] = person
    for field, limit, label in (
        ("responsible_leader_name", NAME_MAX_LENGTH, "责任领导姓名"),
        ("responsible_person_name", NAME_MAX_LENGTH, "责任人姓名"),
        ("responsible_department", DEPARTMENT_MAX_LENGTH, "责任部门"),
    ):
        if field in values:
            text = str(values[field] or "").strip()
            if len(text) > limit:
                errors[field] = f"{label}不能超过 {limit} 字。"
            cleaned[field] = text
    if "measures" in values:
        text = str(values["measures"] or "").strip()
        if len(text) > DESCRIPTION_MAX_LENGTH:
            errors["measures"] = f"整改措施不能超过 {DESCRIPTION_MAX_LENGTH} 字。"
        cleaned["measures"] = text
    # A linked person fills in an empty name, so the ledger always shows who answers.
    for field in ("responsible_leader", "responsible_person"):
        person = cleaned.get(field)
        if person is not None and not cleaned.get(f"{field}_name"):
            cleaned[f"{field}_name"] = person.name
    found_on = cleaned.get("found_on", problem.found_on if problem else None)
    deadline = cleaned.get("deadline", problem.deadline if problem else None)
    if (
        "deadline" not in errors
        and isinstance(found_on, datetime.date)
        and isinstance(deadline, datetime.date)
        and deadline < found_on
        and ("deadline" in cleaned or "found_on" in cleaned)
    ):
        errors["deadline"] = "完成时限不能早于发现日期。"
    if errors:
        raise ValidationError(errors)
    return cleaned


def _next_serial(unit: Unit, year: int) -> int:
    current = Problem.objects.filter(unit=unit, year=year).aggregate(m=Max("serial"))["m"]
    return (current or 0) + 1


def _record_transition(problem: Problem, actor, from_status: str, reason: str) -> None:
    record_move(problem, actor=actor, source=from_status, target=problem.status, note=reason)


@transaction.atomic
def create_problem(
    *,
    actor,
    unit: Unit,
    description: str,
    source,
    found_on: datetime.date,
    year: int,
    severity: str = Severity.GENERAL,
    responsible_leader: Person | None = None,
    responsible_leader_name: str = "",
    responsible_person: Person | None = None,
    responsible_person_name: str = "",
    responsible_department: str = "",
    responsibility_kind: str = ResponsibilityKind.PRINCIPAL,
    measures: str = "",
    deadline: datetime.date | None = None,
    critique=None,
    round=None,
    found_on_visit: bool = False,
) -> Problem:
    """Record a problem for ``unit`` in ``year`` (问题清单), with its responsibility and
    rectification parts when known. ``serial`` is the next number in the unit's ledger for
    that year. A problem named in a critique is allowed to whoever may write that critique;
    one found on a leader's visit (``found_on_visit``) to whoever the visit service, the
    authority there, let record that visit at ``unit``."""
    if found_on_visit:
        pass
    elif critique is not None:
        if not extensions.side().may_write_critique(actor, critique):
            raise PermissionDenied("您没有权限为该点评登记问题。")
    else:
        if not can(actor, "problem.create", unit):
            raise PermissionDenied("您没有权限在该组织登记问题。")
    errors: dict[str, str] = {}
    if not unit.is_active:
        errors["unit"] = f"组织“{unit.name}”已撤销或合并，不能再登记问题。"
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors["year"] = "请填写年度。"
        year = 0
    if year and not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = f"年度应在 {MIN_YEAR}—{MAX_YEAR} 之间。"
    try:
        cleaned = _clean_fields(
            {
                "description": description,
                "source": source,
                "severity": severity,
                "found_on": found_on,
                "responsible_leader": responsible_leader,
                "responsible_leader_name": responsible_leader_name,
                "responsible_person": responsible_person,
                "responsible_person_name": responsible_person_name,
                "responsible_department": responsible_department,
                "responsibility_kind": responsibility_kind,
                "measures": measures,
                "deadline": deadline,
            },
            problem=None,
        )
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        cleaned = {}
    if errors:
        raise ValidationError(errors)
    # Lock the unit row so two recorders never draw the same serial; its path is read under
    # the lock, so a concurrent move never leaves this copy stale.
    unit_path = tree.paths_to_copy([unit.pk])[unit.pk]
    problem = Problem.objects.create(
        unit=unit,
        unit_path=unit_path,
        year=year,
        serial=_next_serial(unit, year),
        recorded_by=_user_or_none(actor),
        critique=critique,
        round=round,
        status=ProblemStatus.OPEN,
        status_changed_at=clock.now(),
        **cleaned,
    )
    _record_transition(problem, actor, "", "登记问题")
    audit.record(
        actor=actor,
        action="problem.create",
        obj=problem,
        scope_path=problem.unit_path,
        changes={"unit": [None, unit.name], "year": [None, year]},
    )
    return problem


@transaction.atomic
def update_problem(*, actor, problem: Problem, **fields: Any) -> Problem:
    """Change the problem's description, responsibility or rectification fields.

    The unit, recorder and verifier may edit responsibility and measures; the problem itself
    (description, source, severity, date found) only the recorder or verifier side. The author
    side of a critique may reword the description, severity and deadline of a problem that
    critique names, until work starts on it. A closed item, or one carried into the next year,
    is no longer edited."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"update_problem() got unexpected fields {sorted(unknown)!r}")
    may_work = any(can_problem(actor, action, problem) for action in WORK_ACTIONS)
    may_record = any(
        can_problem(actor, action, problem) for action in ("problem.create", "problem.verify")
    )
    as_critic = False
    if not may_work or (RECORD_FIELDS & set(fields) and not may_record):
        as_critic = _may_edit_as_critic(actor, problem, fields)
        if not as_critic and not may_work:
            raise PermissionDenied("您没有权限修改该问题。")
        if not as_critic:
            raise PermissionDenied("问题描述、来源、严重程度和发现日期只能由登记或验收方修改。")
    problem = _locked(problem)
    _refuse_finished(problem)
    if as_critic and work_started(problem):
        # Once work began the item is the ledger's record; the critique no longer rewrites it.
        raise ValidationError({"__all__": "该问题已开始整改，请由登记或验收方在问题台账中修改。"})
    cleaned = _clean_fields(fields, problem=problem)
    before = audit.snapshot(problem, AUDIT_FIELDS)
    for name, value in cleaned.items():
        setattr(problem, name, value)
    changes = audit.diff(before, problem)
    if changes:
        problem.save(update_fields=[*cleaned, "updated_at"])
        audit.record(
            actor=actor,
            action="problem.update",
            obj=problem,
            scope_path=problem.unit_path,
            changes=changes,
        )
    return problem


def _may_edit_as_critic(actor, problem: Problem, fields: dict[str, Any]) -> bool:
    """May ``actor`` make this change as the author side of the critique naming ``problem``?

    A critique's word on its problem (description, severity, deadline) stays the critique's
    to reword, even for a critic who may not edit the ledger (a secretary or team member)."""
    if problem.critique_id is None or not set(fields) <= CRITIQUE_FIELDS:
        return False
    assert problem.critique is not None  # critique_id is set
    return extensions.side().may_write_critique(actor, problem.critique)


def why_started(problem: Problem) -> str:
    """Why work counts as started on ``problem`` (a Chinese clause), or "" while it has not.

    Started means anything beyond being recorded: moved on from 待整改, a progress note or
    evidence, carried into the next year, answered in a report (上年度问题整改情况), or listed in
    a rectification plan already submitted or approved. Until then the item is only what was
    written down, so whoever wrote it (the recorder, or the critique naming it) may still
    reword or remove it; afterwards it is the ledger's record and its history must stay."""
    if problem.status != ProblemStatus.OPEN:
        return f"该问题当前状态为“{status_label(problem.status)}”"
    if ProgressNote.objects.filter(problem_id=problem.pk).exists():
        return "该问题已有整改进展记录"
    if Evidence.objects.filter(problem_id=problem.pk).exists():
        return "该问题已上传整改佐证材料"
    if Problem.objects.filter(carried_from_id=problem.pk).exists():
        return f"该问题已转入{problem.year + 1}年度"
    return extensions.side().work_started(problem)


def work_started(problem: Problem) -> bool:
    """Has work started on ``problem`` (see :func:`why_started`)?"""
    return bool(why_started(problem))


def _may_delete(actor, problem: Problem) -> bool:
    if can_problem(actor, "problem.create", problem):
        return True
    if problem.critique_id is None:
        return False
    assert problem.critique is not None  # critique_id is set
    return extensions.side().may_write_critique(actor, problem.critique)


@transaction.atomic
def delete_problem(*, actor, problem: Problem, reason: str = "") -> None:
    """Remove a problem recorded by mistake (or no longer named by its critique) while no work
    has started on it (:func:`why_started`); items carried in from last year stay.

    Allowed to whoever may record problems in the unit, and for a problem named in a critique
    to whoever may write that critique. A rectification plan still being drafted drops the
    item; the audit entry keeps what was removed."""
    if not _may_delete(actor, problem):
        raise PermissionDenied("您没有权限删除该问题。")
    problem = _locked(problem)
    if problem.carried_from_id is not None:
        raise ValidationError({"__all__": f"该问题由{problem.year - 1}年度转入，不能删除。"})
    started = why_started(problem)
    if started:
        raise ValidationError({"__all__": f"{started}，已开始整改，不能删除。"})
    extensions.side().problem_removed(problem)
    audit.record(
        actor=actor,
        action="problem.delete",
        obj=problem,
        scope_path=problem.unit_path,
        changes={
            "year": [problem.year, None],
            "serial": [problem.serial, None],
            "description": [problem.description, None],
            "source": [problem.source.name, None],
        },
        note=(reason or "").strip()[:200],
    )
    problem.delete()


def _same_person(actor, problem: Problem) -> bool:
    """Is ``actor`` the person responsible for ``problem``?"""
    actor_person_id = getattr(actor, "person_id", None)
    if problem.responsible_person_id is not None:
        return actor_person_id == problem.responsible_person_id
    name = (problem.responsible_person_name or "").strip()
    if not name:
        return False
    candidates = {(getattr(actor, "display_name", "") or "").strip()}
    if actor_person_id is not None:
        person = Person.objects.filter(pk=actor_person_id).only("name").first()
        if person is not None:
            candidates.add(person.name.strip())
    return name in candidates


@transaction.atomic
def transition(
    *, actor, problem: Problem, to_status: str, reason: str = "", verdict: str = ""
) -> Problem:
    """Move ``problem`` to ``to_status`` along :data:`transitions.PROBLEM` (through ``apply``).

    The move's action decides who may make it; a move marked ``requires_reason`` needs a reason
    (sending back records why). Closing (销号) needs a verifier other than the responsible
    person, a verdict and at least one piece of evidence, and records the verifier, the date
    and the verdict. Every move leaves a ``ProblemTransition``."""
    if not can_problem(actor, "problem.view", problem):
        raise PermissionDenied("您没有权限查看该问题。")
    problem = _locked(problem)
    reason = (reason or "").strip()
    verdict = (verdict or "").strip()
    if to_status not in ProblemStatus.values:
        raise ValidationError({"to_status": f"未知的问题状态“{to_status}”。"})
    before = audit.snapshot(problem, ["status", "verifier", "verified_on", "verdict"])

    def validate(problem: Problem, move: Transition) -> dict[str, str]:
        _refuse_finished(problem)
        errors: dict[str, str] = {}
        if len(reason) > NOTE_MAX_LENGTH:
            errors["reason"] = f"理由不能超过 {NOTE_MAX_LENGTH} 字。"
        if to_status == ProblemStatus.CLOSED:
            if not verdict:
                errors["verdict"] = "销号须填写验收意见。"
            elif len(verdict) > NOTE_MAX_LENGTH:
                errors["verdict"] = f"验收意见不能超过 {NOTE_MAX_LENGTH} 字。"
            if _same_person(actor, problem):
                errors["__all__"] = "验收人不能是该问题的责任人，请由其他人员验收销号。"
            elif not Evidence.objects.filter(problem=problem).exists():
                errors["__all__"] = "销号前须至少上传一份整改佐证材料。"
        return errors

    def prepare(problem: Problem, move: Transition) -> None:
        if to_status == ProblemStatus.CLOSED:
            problem.verdict = verdict

    return transitions.apply(
        PROBLEM,
        actor=actor,
        obj=problem,
        to=to_status,
        reason=reason,
        note=reason or verdict,
        validate=validate,
        prepare=prepare,
        update_fields=["verdict"],
        changes=lambda moved: audit.diff(before, moved),
        locked=True,
    )
    return problem


@transaction.atomic
def add_note(*, actor, problem: Problem, on: datetime.date, text: str) -> ProgressNote:
    """Add a dated progress note (整改进展) to an item still being worked on."""
    _require_any(actor, problem, WORK_ACTIONS, "您没有权限填写该问题的整改进展。")
    problem = _locked(problem)
    _refuse_finished(problem)
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = "请填写整改进展。"
    elif len(text) > NOTE_MAX_LENGTH:
        errors["text"] = f"整改进展不能超过 {NOTE_MAX_LENGTH} 字。"
    if not isinstance(on, datetime.date):
        errors["on"] = "请填写进展日期。"
    elif on > clock.today():
        errors["on"] = "进展日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)
    note = ProgressNote.objects.create(
        problem=problem, on=on, text=text, author=_user_or_none(actor)
    )
    audit.record(
        actor=actor,
        action="problem.note",
        obj=problem,
        scope_path=problem.unit_path,
        note=text[:200],
    )
    return note


@transaction.atomic
def add_evidence(*, actor, problem: Problem, upload, note: str = "") -> Evidence:
    """Attach an evidence file (整改佐证材料) after checking its type and size.

    The file is stored under a random name (the original name is kept for downloads); if the
    transaction fails after the file was written, the file is removed again."""
    _require_any(actor, problem, WORK_ACTIONS, "您没有权限上传该问题的佐证材料。")
    problem = _locked(problem)
    _refuse_finished(problem)
    note = (note or "").strip()
    if len(note) > EVIDENCE_NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"说明不能超过 {EVIDENCE_NOTE_MAX_LENGTH} 字。"})
    _kind, content_type = check_upload(upload, kinds=EVIDENCE_KINDS)
    name = safe_filename(upload.name)
    ext = name.rsplit(".", 1)[-1].lower()
    evidence = Evidence(
        problem=problem,
        name=name,
        size=upload.size,
        content_type=content_type,
        note=note,
        uploaded_by=_user_or_none(actor),
    )
    evidence.file.save(f"{uuid.uuid4().hex}.{ext}", upload, save=False)
    stored = evidence.file.name
    storage = evidence.file.storage
    try:
        evidence.save()
        audit.record(
            actor=actor,
            action="problem.evidence",
            obj=problem,
            scope_path=problem.unit_path,
            note=name,
        )
    except Exception:
        storage.delete(stored)
        raise
    return evidence


def carry_over_candidates(*, from_year: int, root: Unit | None = None):
    """Items of ``from_year`` not closed and not yet carried (what :func:`carry_over` would
    copy)."""
    queryset = Problem.objects.filter(
        year=from_year, status__in=NOT_CLOSED_STATUSES, carried_to__isnull=True
    )
    if root is not None:
        queryset = queryset.filter(unit_path__startswith=root.path)
    return queryset


@transaction.atomic
def carry_over(*, actor, from_year: int, root: Unit | None = None) -> int:
    """Carry every item of ``from_year`` that is not closed into ``from_year + 1``.

    Each becomes a new problem with source 上年度遗留 and ``carried_from`` = the old item,
    keeping its status, responsibility, measures and deadline; the old item stays as the
    record of its year and is no longer worked on. Running it again carries nothing twice
    (items already carried are skipped). Returns how many items were carried."""
    if not can_carry_over(actor, root):
        raise PermissionDenied("您没有权限进行年度结转。")
    try:
        from_year = int(from_year)
    except (TypeError, ValueError):
        raise ValidationError({"from_year": "请填写结转年度。"}) from None
    if not MIN_YEAR <= from_year < MAX_YEAR:
        raise ValidationError({"from_year": f"年度应在 {MIN_YEAR}—{MAX_YEAR - 1} 之间。"})
    carried_source = ProblemSource.objects.get(code=CARRIED_SOURCE_CODE)
    to_year = from_year + 1
    candidates = carry_over_candidates(from_year=from_year, root=root)
    # The copies take their units' paths as read under the units' lock (not the old items'),
    # so a concurrent move never leaves them stale. Units first, then items: the order a move
    # takes its locks in.
    unit_paths = tree.paths_to_copy(
        candidates.order_by().values_list("unit_id", flat=True).distinct()
    )
    old_items = list(
        candidates.select_for_update(of=("self",)).order_by("unit_path", "serial", "id")
    )
    if not old_items:
        return 0
    unit_ids = {item.unit_id for item in old_items}
    unit_paths.update(tree.paths_to_copy(unit_ids - set(unit_paths)))
    next_serial = {
        row["unit_id"]: row["m"] or 0
        for row in Problem.objects.filter(unit_id__in=unit_ids, year=to_year)
        .values("unit_id")
        .annotate(m=Max("serial"))
    }
    now = clock.now()
    copies = []
    for old in old_items:
        next_serial[old.unit_id] = next_serial.get(old.unit_id, 0) + 1
        copies.append(
            Problem(
                unit_id=old.unit_id,
                unit_path=unit_paths[old.unit_id],
                year=to_year,
                serial=next_serial[old.unit_id],
                description=old.description,
                source=carried_source,
                severity=old.severity,
                found_on=old.found_on,
                recorded_by=_user_or_none(actor),
                responsible_leader_id=old.responsible_leader_id,
                responsible_leader_name=old.responsible_leader_name,
                responsible_person_id=old.responsible_person_id,
                responsible_person_name=old.responsible_person_name,
                responsible_department=old.responsible_department,
                responsibility_kind=old.responsibility_kind,
                measures=old.measures,
                deadline=old.deadline,
                status=old.status,
                status_changed_at=now,
                carried_from=old,
                round=None,
                critique=None,
            )
        )
    Problem.objects.bulk_create(copies, batch_size=1000)
    Problem.objects.filter(pk__in=[old.pk for old in old_items]).update(carried_over=True)
    # bulk_create returns primary keys on PostgreSQL and SQLite ≥ 3.35; read them back anyway
    # so the transition rows below never depend on the backend.
    new_ids = dict(
        Problem.objects.filter(carried_from_id__in=[o.pk for o in old_items]).values_list(
            "carried_from_id", "pk"
        )
    )
    label = _actor_label(actor)
    ProblemTransition.objects.bulk_create(
        [
            ProblemTransition(
                problem_id=new_ids[old.pk],
                from_status="",
                to_status=old.status,
                actor=_user_or_none(actor),
                actor_label=label,
                reason=f"由{from_year}年度转入（上年度遗留）",
            )
            for old in old_items
        ],
        batch_size=1000,
    )
    audit.record(
        actor=actor,
        action="problem.carry_over",
        object_type="rectification.problem",
        object_label=f"{from_year}年度未销号问题结转至{to_year}年度",
        scope_path=root.path if root is not None else "",
        changes={"count": [0, len(copies)], "year": [from_year, to_year]},
    )
    return len(copies)


def carry_over_preview(*, from_year: int, root: Unit | None = None) -> dict[str, int]:
    """How many items would be carried, and how many of ``from_year`` are closed or carried
    already (for the confirmation page)."""
    base = Problem.objects.filter(year=from_year)
    if root is not None:
        base = base.filter(unit_path__startswith=root.path)
    counts = base.aggregate(
        total=Count("id"),
        closed=Count("id", filter=Q(status=ProblemStatus.CLOSED)),
        carried=Count("id", filter=Q(carried_to__isnull=False)),
    )
    counts["pending"] = carry_over_candidates(from_year=from_year, root=root).count()
    return counts


# ---- problem sources ---------------------------------------------------------------------


def _require_sources(actor) -> None:
    if not can_manage_sources(actor):
        raise PermissionDenied("您没有权限管理问题来源。")


def _clean_source_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写来源名称。"})
    if len(name) > SOURCE_NAME_MAX_LENGTH:
        raise ValidationError({"name": f"来源名称不能超过 {SOURCE_NAME_MAX_LENGTH} 字。"})
    clash = ProblemSource.objects.filter(name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"已有名为“{name}”的问题来源。"})
    return name


@transaction.atomic
def add_source(*, actor, name: str, sort_order: int | None = None) -> ProblemSource:
    """Add a problem source to the shared list (its code is generated)."""
    _require_sources(actor)
    name = _clean_source_name(name)
    if sort_order is None:
        last = ProblemSource.objects.aggregate(m=Max("sort_order"))["m"] or 0
        sort_order = last + 10
    number = ProblemSource.objects.count() + 1
    while ProblemSource.objects.filter(code=f"custom{number}").exists():
        number += 1
    source = ProblemSource.objects.create(
        code=f"custom{number}", name=name, sort_order=sort_order, builtin=False
    )
    audit.record(
        actor=actor, action="problemsource.create", obj=source, changes={"name": [None, name]}
    )
    return source


@transaction.atomic
def rename_source(*, actor, source: ProblemSource, name: str) -> ProblemSource:
    """Rename a source (shipped ones too: only their codes are fixed)."""
    _require_sources(actor)
    source = ProblemSource.objects.select_for_update().get(pk=source.pk)
    name = _clean_source_name(name, exclude_pk=source.pk)
    before = audit.snapshot(source, ["name"])
    source.name = name
    changes = audit.diff(before, source)
    if changes:
        source.save(update_fields=["name"])
        audit.record(actor=actor, action="problemsource.update", obj=source, changes=changes)
    return source


@transaction.atomic
def set_source_active(*, actor, source: ProblemSource, is_active: bool) -> ProblemSource:
    """Switch a source on or off for new problems; existing problems keep it. The sources
    the services themselves use (上年度遗留, 上级点评, 民主评议) stay on."""
    _require_sources(actor)
    source = ProblemSource.objects.select_for_update().get(pk=source.pk)
    if not is_active and source.code in PROTECTED_SOURCE_CODES:
        raise ValidationError({"__all__": f"“{source.name}”由系统使用，不能停用。"})
    if source.is_active != bool(is_active):
        source.is_active = bool(is_active)
        source.save(update_fields=["is_active"])
        audit.record(
            actor=actor,
            action="problemsource.update",
            obj=source,
            changes={"is_active": [not source.is_active, source.is_active]},
        )
    return source


@transaction.atomic
def delete_source(*, actor, source: ProblemSource) -> None:
    """Remove a source an administrator added and no problem uses yet."""
    _require_sources(actor)
    source = ProblemSource.objects.select_for_update().get(pk=source.pk)
    if source.builtin:
        raise ValidationError({"__all__": f"“{source.name}”是系统内置来源，不能删除。"})
    if Problem.objects.filter(source=source).exists():
        raise ValidationError({"__all__": f"已有问题使用“{source.name}”，不能删除，可以停用。"})
    audit.record(actor=actor, action="problemsource.delete", obj=source)
    source.delete()
