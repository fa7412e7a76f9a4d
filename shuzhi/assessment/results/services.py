"""结果运用: who may act on results, and every write — rules, follow-ups, circulars.

Policies (the permission authority for this part; actions reused from ``roles.py``):

- ``round.change`` on the round's host — edit the consequences table, schedule, finish and
  cancel follow-ups, draft, edit and issue circulars (the host's organisers);
- ``round.view`` on the host — read all of it and export the grades;
- the account of the person who holds a talk (``FollowUp.conductor_user``) — see it and mark
  it done.

Services take keyword-only arguments and an explicit ``actor``, check the policy, validate with
Chinese messages per field and write in one transaction with an audit entry; notifications go
through ``shuzhi.core.notify`` (its e-mail leaves after commit).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.results import circular as documents
from shuzhi.assessment.results.models import (
    Circular,
    CircularStatus,
    ConsequenceRule,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    TalkBy,
    default_rules,
)
from shuzhi.assessment.results.policies import (
    can_complete,
    can_manage,
    can_manage_rules,
)
from shuzhi.assessment.transitions import CIRCULAR, FOLLOW_UP
from shuzhi.core import audit, clock, transitions
from shuzhi.core.notify import Message, notify_many
from shuzhi.core.transitions import Transition
from shuzhi.cycles import policy
from shuzhi.cycles.models import Round
from shuzhi.orgs.people.models import secretary_of
from shuzhi.orgs.tree.models import Unit, UnitType
from shuzhi.rectification import services as rect_services
from shuzhi.rectification.models import ProblemSource

RESULT_SOURCE_CODE = "assessment"
MAX_TALK_DAYS = 365
MAX_RECTIFY_DAYS = 730
NOTES_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 200
RULE_FIELDS = (
    "grade_label",
    "talk",
    "talk_by",
    "talk_within_days",
    "rectify",
    "rectify_within_days",
    "commend",
    "criticise",
    "note",
)
NOTIFY_KIND = "assessment.result"
# Follow-ups inserted per statement (a round may have thousands of reporters).
BULK_SIZE = 500


# --- The consequences table -------------------------------------------------------------------


def scale_of(host: Unit) -> list[dict]:
    """The scale of the host's latest round (the default scale when it has none)."""
    latest = Round.objects.filter(host=host).order_by("-year").values_list("scale", flat=True)
    scale = latest.first()
    return scale if scale else policy.default_scale()


def effective_rules(host: Unit, scale: list[dict] | None = None) -> list[ConsequenceRule]:
    """The host's rules for each grade of ``scale`` — stored rows, or unsaved defaults where a
    grade has none — in the scale's order, then any stored rule for another grade."""
    scale = scale if scale is not None else scale_of(host)
    stored = {rule.grade: rule for rule in ConsequenceRule.objects.filter(host=host)}
    rules: list[ConsequenceRule] = []
    for default in default_rules(scale):
        rule = stored.pop(default["grade"], None)
        rules.append(rule or ConsequenceRule(host=host, **default))
    rules.extend(stored.values())
    return rules


def _ensure_rules(actor, host: Unit, scale: list[dict]) -> dict[str, ConsequenceRule]:
    """Store the defaults for the grades of ``scale`` that have no rule yet (first use)."""
    rules = effective_rules(host, scale)
    missing = [rule for rule in rules if rule.pk is None]
    if missing:
        for rule in missing:
            rule.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        ConsequenceRule.objects.bulk_create(missing, ignore_conflicts=True)
        audit.record(
            actor=actor,
            action="consequence.defaults",
            object_type="assessment.consequencerule",
            object_id=str(host.pk),
            object_label=f"{host.name}结果运用规则",
            scope_path=host.path,
            changes={rule.grade: [None, rule.summary] for rule in missing},
        )
        rules = list(ConsequenceRule.objects.filter(host=host))
    return {rule.grade: rule for rule in rules}


def _clean_rule(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    label = str(values.get("grade_label") or "").strip()
    if not label:
        errors["grade_label"] = "请填写等次名称。"
    elif len(label) > 16:
        errors["grade_label"] = "等次名称不能超过 16 字。"
    cleaned["grade_label"] = label
    for flag in ("talk", "rectify", "commend", "criticise"):
        cleaned[flag] = bool(values.get(flag))
    talk_by = values.get("talk_by") or TalkBy.ORG_DEPARTMENT
    if talk_by not in TalkBy.values:
        errors["talk_by"] = "请选择约谈人。"
    cleaned["talk_by"] = talk_by
    for field, limit, what in (
        ("talk_within_days", MAX_TALK_DAYS, "约谈期限"),
        ("rectify_within_days", MAX_RECTIFY_DAYS, "整改期限"),
    ):
        raw = values.get(field)
        try:
            days = int(str(raw))
        except (TypeError, ValueError):
            errors[field] = f"请填写{what}（天数）。"
            continue
        if not 1 <= days <= limit:
            errors[field] = f"{what}应在 1—{limit} 天之间。"
        cleaned[field] = days
    if cleaned["commend"] and (cleaned["criticise"] or cleaned["talk"] or cleaned["rectify"]):
        errors["commend"] = "同一等次不能既列入表扬名单，又约谈、整改或通报批评。"
    note = str(values.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = "说明不能超过 200 字。"
    cleaned["note"] = note
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def save_rule(*, actor, host: Unit, grade: str, **values: Any) -> ConsequenceRule:
    """Set what ``grade`` leads to in the rounds ``host`` hosts. Rules for every grade of the
    host's scale are stored with their defaults first, so the table is complete once edited.
    Follow-ups already created keep the rule they were made under."""
    if not can_manage_rules(actor, host):
        raise PermissionDenied("您没有权限修改该组织的结果运用规则。")
    grade = str(grade or "").strip()
    if not grade or len(grade) > 16:
        raise ValidationError({"grade": "请选择等次。"})
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({"__all__": f"不能修改这些字段：{'、'.join(sorted(unknown))}。"})
    _ensure_rules(actor, host, scale_of(host))
    rule = ConsequenceRule.objects.select_for_update().filter(host=host, grade=grade).first()
    if rule is None:
        rule = ConsequenceRule(host=host, grade=grade)
    current = {field: getattr(rule, field) for field in RULE_FIELDS}
    cleaned = _clean_rule({**current, **values})
    before = audit.snapshot(rule, RULE_FIELDS) if rule.pk else dict.fromkeys(RULE_FIELDS)
    for field, value in cleaned.items():
        setattr(rule, field, value)
    changes = audit.diff(before, rule)
    if changes or rule.pk is None:
        rule.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        rule.save()
        audit.record(
            actor=actor,
            action="consequence.update",
            obj=rule,
            scope_path=host.path,
            changes=changes,
        )
    return rule


# --- Follow-ups from confirmed grades ---------------------------------------------------------


def _labels(round_: Round) -> dict[str, str]:
    return {str(g.get("code")): str(g.get("label", g.get("code"))) for g in round_.scale or []}


def _specs(rule: ConsequenceRule | None) -> dict[str, dict[str, Any]]:
    """What a rule asks for, by follow-up kind."""
    if rule is None:
        return {}
    specs: dict[str, dict[str, Any]] = {}
    if rule.commend:
        specs[FollowUpKind.COMMENDATION] = {"days": None, "by": ""}
    if rule.talk:
        specs[FollowUpKind.TALK] = {"days": rule.talk_within_days, "by": rule.talk_by}
    if rule.rectify:
        specs[FollowUpKind.RECTIFICATION] = {"days": rule.rectify_within_days, "by": ""}
    return specs


def _rule_snapshot(rule: ConsequenceRule) -> dict[str, Any]:
    return {field: getattr(rule, field) for field in ("grade", *RULE_FIELDS)}


def _result_source(actor):
    """The shipped source 考核结果运用 (rectification migration 0005)."""
    return ProblemSource.objects.get(code=RESULT_SOURCE_CODE)


class _Context:
    """What follow-up creation needs once per round: rules, labels, the talk conductor."""

    def __init__(self, actor, round_: Round):
        self.actor = actor
        self.round = round_
        self.today = clock.today()
        self.labels = _labels(round_)
        self.rules = _ensure_rules(actor, round_.host, round_.scale or [])
        self._secretary: Any = False
        self._source: Any = None
        self.messages: list[Message] = []
        self.created: dict[str, int] = {}

    def secretary(self):
        """The host's secretary today (person, account) — who holds a 书记约谈."""
        if self._secretary is False:
            post = secretary_of(self.round.host, self.today)
            person = post.person if post else None
            user = getattr(person, "user", None) if person else None
            self._secretary = (person, user)
        return self._secretary

    def source(self):
        if self._source is None:
            self._source = _result_source(self.actor)
        return self._source


def _person_user(person):
    if person is None:
        return None
    try:
        return person.user
    except Exception:  # the reverse one-to-one raises when no account is linked
        return None


def _build(ctx: _Context, row: GradeRow, kind: str, spec: dict[str, Any]) -> FollowUp:
    """The unsaved follow-up of ``kind`` for ``row``; for 限期整改 the ledger item is recorded
    now (through the ledger's own service, so it gets its serial, history and audit entry)."""
    round_ = ctx.round
    reporter = row.reporter
    rule = ctx.rules[row.final]
    label = ctx.labels.get(row.final, rule.grade_label)
    days = spec["days"]
    follow_up = FollowUp(
        round=round_,
        grade_row=row,
        reporter=reporter,
        kind=kind,
        grade=row.final,
        grade_label=label,
        conducted_by=spec["by"],
        with_person=reporter.person,
        due_on=ctx.today + datetime.timedelta(days=days) if days else None,
        rule=_rule_snapshot(rule),
    )
    if kind == FollowUpKind.TALK and spec["by"] == TalkBy.SECRETARY:
        follow_up.conductor, follow_up.conductor_user = ctx.secretary()
    if kind == FollowUpKind.RECTIFICATION:
        who = reporter.person.name if reporter.person else reporter.unit.name
        follow_up.problem = rect_services.create_problem(
            actor=ctx.actor,
            unit=reporter.unit,
            description=(
                f"{round_.title}中，{reporter.unit.name}党组织书记{who}的考核等次评定为"
                f"“{label}”，按结果运用规则限期整改（{days}天内），整改评定意见指出的问题。"
                + (f"\n评价意见：{row.opinion}" if row.opinion else "")
            )[:2000],
            source=ctx.source(),
            found_on=ctx.today,
            year=round_.year,
            responsible_person=reporter.person,
            deadline=follow_up.due_on,
            round=round_,
        )
    return follow_up


def _save_all(ctx: _Context, follow_ups: list[FollowUp]) -> list[FollowUp]:
    """Insert ``follow_ups`` in bulk and queue the messages to the people they concern.

    A round has thousands of reporters and this runs inside grading's confirmation, so the
    number of queries must not grow with them: one insert per batch, the rows and their
    people having been read beforehand."""
    if not follow_ups:
        return []
    saved = FollowUp.objects.bulk_create(follow_ups, batch_size=BULK_SIZE)
    if any(f.pk is None for f in saved):
        # Backends that do not return ids from a bulk insert: read them back by row and kind.
        stored = FollowUp.objects.filter(grade_row__in={f.grade_row_id for f in saved})
        ids = {
            (row_id, kind): pk
            for pk, row_id, kind in stored.values_list("pk", "grade_row_id", "kind")
        }
        for follow_up in saved:
            follow_up.pk = ids[(follow_up.grade_row_id, follow_up.kind)]
    for follow_up in saved:
        ctx.created[follow_up.kind] = ctx.created.get(follow_up.kind, 0) + 1
        ctx.messages.extend(_created_messages(ctx, follow_up))
    return saved


def _created_messages(ctx: _Context, follow_up: FollowUp) -> list[Message]:
    """Tell the person concerned and the talk's holder (when they have accounts)."""
    reporter = follow_up.reporter
    who = reporter.person.name if reporter.person else reporter.unit.name
    titles: dict[str, str] = {
        FollowUpKind.TALK: f"约谈安排：{reporter.unit.name} {who}",
        FollowUpKind.COMMENDATION: f"列入表扬名单：{reporter.unit.name} {who}",
        FollowUpKind.RECTIFICATION: f"限期整改：{reporter.unit.name}",
    }
    body = f"{ctx.round.title}评定等次“{follow_up.grade_label}”。"
    if follow_up.due_on:
        body += f"完成期限：{follow_up.due_on:%Y-%m-%d}。"
    recipients = {
        u.pk for u in (_person_user(reporter.person), follow_up.conductor_user) if u is not None
    }
    return [
        Message(
            user_id=user_id,
            kind=NOTIFY_KIND,
            title=titles[follow_up.kind],
            body=body,
            url=f"/assessment/results/follow-ups/{follow_up.pk}/",
            key=f"followup:{follow_up.pk}",
        )
        for user_id in sorted(recipients)
    ]


def _current_rows(rows: Iterable[GradeRow]) -> list[GradeRow]:
    ids = [row.pk for row in rows]
    return list(
        GradeRow.objects.filter(pk__in=ids, is_current=True)
        .select_related("reporter__unit", "reporter__person__user")
        .order_by("pk")
    )


@transaction.atomic
def generate_follow_ups(*, actor, grading: Grading, rows: Iterable[GradeRow]) -> list[FollowUp]:
    """Create the follow-ups the consequences table asks for, for each current confirmed row.

    Idempotent: a (row, kind) that already has a follow-up is skipped, so confirming again,
    or a retry after a failure, creates nothing twice. Returns the follow-ups created."""
    round_ = Round.objects.select_related("host").get(pk=grading.round_id)
    if not can_manage(actor, round_):
        raise PermissionDenied("您没有权限办理该年度的结果运用。")
    ctx = _Context(actor, round_)
    current = _current_rows(rows)
    existing = set(
        FollowUp.objects.filter(grade_row__in=current).values_list("grade_row_id", "kind")
    )
    created = _save_all(
        ctx,
        [
            _build(ctx, row, kind, spec)
            for row in current
            for kind, spec in _specs(ctx.rules.get(row.final)).items()
            if (row.pk, kind) not in existing
        ],
    )
    if created:
        audit.record(
            actor=actor,
            action="followup.generate",
            obj=round_,
            scope_path=round_.host.path,
            changes={kind: [None, n] for kind, n in sorted(ctx.created.items())},
        )
        notify_many(ctx.messages)
    return created


def _cancel(actor, follow_up: FollowUp, reason: str, messages: list[Message]) -> None:
    """Cancel an open follow-up with ``reason``; an untouched ledger item it created goes with
    it, one already worked on stays in the ledger (and the reason says so)."""
    transitions.check(FOLLOW_UP, actor=actor, obj=follow_up, to=FollowUpStatus.CANCELLED)
    note = reason
    problem = follow_up.problem
    if problem is not None:
        started = rect_services.why_started(problem)
        if started:
            note = f"{reason}（整改问题已开始办理，保留在台账中）"
        else:
            rect_services.delete_problem(actor=actor, problem=problem, reason=reason)
            follow_up.problem = None

    def prepare(follow_up: FollowUp, move: Transition) -> None:
        follow_up.cancelled_at = clock.now()
        follow_up.cancel_reason = note[:REASON_MAX_LENGTH]

    transitions.apply(
        FOLLOW_UP,
        actor=actor,
        obj=follow_up,
        to=FollowUpStatus.CANCELLED,
        reason=reason,
        note=note[:REASON_MAX_LENGTH],
        prepare=prepare,
        update_fields=["cancelled_at", "cancel_reason", "problem"],
        locked=True,
    )
    reporter_user = _person_user(follow_up.with_person)
    for user in {u for u in (reporter_user, follow_up.conductor_user) if u is not None}:
        messages.append(
            Message(
                user_id=user.pk,
                kind=NOTIFY_KIND,
                title=f"已撤销：{follow_up.get_kind_display()}（{follow_up.reporter.unit.name}）",
                body=follow_up.cancel_reason,
                url=f"/assessment/results/follow-ups/{follow_up.pk}/",
                key=f"followup-cancel:{follow_up.pk}",
            )
        )


@transaction.atomic
def correct_follow_ups(*, actor, old: GradeRow, new: GradeRow) -> list[FollowUp]:
    """Bring the follow-ups in line with a corrected grade (``old`` superseded by ``new``).

    Open follow-ups the new grade still asks for (same kind, and for a talk the same holder)
    move to the new row as they are; the others are cancelled with the reason. What the new
    grade asks for and nothing covers yet is created — except a talk or commendation already
    done under the old grade, which is not repeated. Done follow-ups are never touched."""
    round_ = Round.objects.select_related("host").get(pk=new.grading.round_id)
    if not can_manage(actor, round_):
        raise PermissionDenied("您没有权限办理该年度的结果运用。")
    ctx = _Context(actor, round_)
    new = (
        GradeRow.objects.select_related("reporter__unit", "reporter__person__user")
        .filter(pk=new.pk)
        .get()
    )
    wanted = _specs(ctx.rules.get(new.final))
    label = ctx.labels.get(new.final, new.final or "无等次")
    reason = f"等次更正为“{label}”"
    covered: set[str] = set(FollowUp.objects.filter(grade_row=new).values_list("kind", flat=True))
    for follow_up in (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("round__host", "reporter__unit", "problem", "with_person__user")
        .filter(grade_row=old)
        .exclude(status=FollowUpStatus.CANCELLED)
    ):
        spec = wanted.get(follow_up.kind)
        same = spec is not None and (spec["by"] or "") == (follow_up.conducted_by or "")
        if follow_up.status == FollowUpStatus.DONE:
            if same:
                covered.add(follow_up.kind)
            continue
        if same and follow_up.kind not in covered:
            follow_up.grade_row = new
            follow_up.grade, follow_up.grade_label = new.final, label
            follow_up.save(update_fields=["grade_row", "grade", "grade_label", "updated_at"])
            audit.record(
                actor=actor,
                action="followup.carry",
                obj=follow_up,
                scope_path=round_.host.path,
                changes={"grade_row": [old.pk, new.pk]},
                note=reason,
            )
            covered.add(follow_up.kind)
        else:
            _cancel(actor, follow_up, reason, ctx.messages)
    created = _save_all(
        ctx, [_build(ctx, new, kind, spec) for kind, spec in wanted.items() if kind not in covered]
    )
    if created:
        audit.record(
            actor=actor,
            action="followup.generate",
            obj=round_,
            scope_path=round_.host.path,
            changes={kind: [None, n] for kind, n in sorted(ctx.created.items())},
            note=reason,
        )
    notify_many(ctx.messages)
    return created


def _locked_follow_up(follow_up: FollowUp) -> FollowUp:
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("round__host", "reporter__unit", "with_person", "conductor_user")
        .get(pk=follow_up.pk)
    )


@transaction.atomic
def complete_follow_up(
    *, actor, follow_up: FollowUp, notes: str, done_on: datetime.date | None = None
) -> FollowUp:
    """Mark a talk held (or a commendation made) with what happened (情况记录)."""
    follow_up = _locked_follow_up(follow_up)
    if not can_complete(actor, follow_up):
        raise PermissionDenied("您没有权限办理该事项。")
    transitions.check(FOLLOW_UP, actor=actor, obj=follow_up, to=FollowUpStatus.DONE)
    errors: dict[str, str] = {}
    notes = (notes or "").strip()
    if follow_up.kind == FollowUpKind.TALK and not notes:
        errors["notes"] = "请填写约谈情况。"
    elif len(notes) > NOTES_MAX_LENGTH:
        errors["notes"] = f"情况记录不能超过 {NOTES_MAX_LENGTH} 字。"
    today = clock.today()
    done_on = done_on or today
    if done_on > today:
        errors["done_on"] = "完成日期不能晚于今天。"
    if follow_up.kind == FollowUpKind.RECTIFICATION:
        errors["__all__"] = "限期整改事项在整改台账中办理和销号。"
    if errors:
        raise ValidationError(errors)

    def prepare(follow_up: FollowUp, move: Transition) -> None:
        follow_up.notes = notes
        now = clock.now()
        follow_up.done_at = (
            now
            if done_on == today
            else datetime.datetime.combine(done_on, datetime.time(12), tzinfo=now.tzinfo)
        )
        follow_up.done_by = actor if getattr(actor, "is_authenticated", False) else None

    return transitions.apply(
        FOLLOW_UP,
        actor=actor,
        obj=follow_up,
        to=FollowUpStatus.DONE,
        prepare=prepare,
        update_fields=["notes", "done_at", "done_by"],
        changes={"done_on": [None, done_on.isoformat()]},
        locked=True,
    )


@transaction.atomic
def schedule_follow_up(
    *, actor, follow_up: FollowUp, due_on: datetime.date | None, notes: str | None = None
) -> FollowUp:
    """Set when an open follow-up is due, and working notes (e.g. the talk's time and place)."""
    follow_up = _locked_follow_up(follow_up)
    if not can_manage(actor, follow_up.round):
        raise PermissionDenied("您没有权限安排该事项。")
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError({"__all__": f"该事项{follow_up.get_status_display()}，不能再修改。"})
    if follow_up.kind == FollowUpKind.RECTIFICATION:
        raise ValidationError({"__all__": "整改期限请在整改台账中修改。"})
    errors: dict[str, str] = {}
    if due_on is not None and not isinstance(due_on, datetime.date):
        errors["due_on"] = "完成期限不是有效日期。"
    if notes is not None and len(notes.strip()) > NOTES_MAX_LENGTH:
        errors["notes"] = f"情况记录不能超过 {NOTES_MAX_LENGTH} 字。"
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(follow_up, ["due_on", "notes"])
    follow_up.due_on = due_on
    if notes is not None:
        follow_up.notes = notes.strip()
    changes = audit.diff(before, follow_up)
    if changes:
        follow_up.save(update_fields=["due_on", "notes", "updated_at"])
        audit.record(
            actor=actor,
            action="followup.update",
            obj=follow_up,
            scope_path=follow_up.round.host.path,
            changes=changes,
        )
    return follow_up


@transaction.atomic
def cancel_follow_up(*, actor, follow_up: FollowUp, reason: str) -> FollowUp:
    """Cancel an open follow-up by hand, with a reason (done ones stay as they are)."""
    follow_up = _locked_follow_up(follow_up)
    if not can_manage(actor, follow_up.round):
        raise PermissionDenied("您没有权限撤销该事项。")
    transitions.check(FOLLOW_UP, actor=actor, obj=follow_up, to=FollowUpStatus.CANCELLED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤销原因。"})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"撤销原因不能超过 {REASON_MAX_LENGTH} 字。"})
    messages: list[Message] = []
    _cancel(actor, follow_up, reason, messages)
    notify_many(messages)
    return follow_up


# --- Circulars --------------------------------------------------------------------------------


def confirmed_grading(round_: Round) -> Grading | None:
    return Grading.objects.filter(round=round_, status="confirmed").first()


@transaction.atomic
def create_circular(*, actor, round_: Round) -> Circular:
    """Draft the round's circular (通报) from its confirmed grades."""
    if not can_manage(actor, round_):
        raise PermissionDenied("您没有权限起草该年度的通报。")
    if confirmed_grading(round_) is None:
        raise ValidationError({"__all__": "综合评定确定后才能起草通报。"})
    draft = documents.draft(round_, effective_rules(round_.host, round_.scale or []))
    circular = Circular.objects.create(
        round=round_,
        title=draft["title"],
        issuer=draft["issuer"],
        sections=draft["sections"],
        data=draft["data"],
        scope_text=draft["scope_text"],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="circular.create",
        obj=circular,
        scope_path=round_.host.path,
        changes={"title": [None, circular.title]},
    )
    return circular


def _locked_circular(actor, circular: Circular, message: str) -> Circular:
    circular = (
        Circular.objects.select_for_update(of=("self",))
        .select_related("round__host")
        .get(pk=circular.pk)
    )
    if not can_manage(actor, circular.round):
        raise PermissionDenied(message)
    if circular.is_locked:
        raise ValidationError({"__all__": "通报已印发，不能再修改。"})
    return circular


CIRCULAR_TEXT_FIELDS = {"title": 200, "doc_number": 64, "issuer": 100, "scope_text": 300}
CIRCULAR_FIELD_LABELS = {
    "title": "标题",
    "doc_number": "文号",
    "issuer": "发文机关",
    "scope_text": "发至范围说明",
}
SECTION_MAX_LENGTH = 10000


@transaction.atomic
def update_circular(*, actor, circular: Circular, **values: Any) -> Circular:
    """Edit a draft circular: title, 文号, issuer, date, section texts (``sections`` as
    ``{code: text}``) and the distribution scope (``scope_units`` — units the actor can see —,
    ``scope_levels`` — unit type codes —, ``scope_text``)."""
    circular = _locked_circular(actor, circular, "您没有权限修改该通报。")
    allowed = {*CIRCULAR_TEXT_FIELDS, "signed_on", "sections", "scope_units", "scope_levels"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({"__all__": f"不能修改这些字段：{'、'.join(sorted(unknown))}。"})
    errors: dict[str, str] = {}
    before = audit.snapshot(circular, [*CIRCULAR_TEXT_FIELDS, "signed_on", "scope_levels"])
    for field, limit in CIRCULAR_TEXT_FIELDS.items():
        if field in values:
            text = str(values[field] or "").strip()
            if len(text) > limit:
                errors[field] = f"{CIRCULAR_FIELD_LABELS[field]}不能超过 {limit} 字。"
            elif field in ("title", "issuer") and not text:
                errors[field] = f"请填写{CIRCULAR_FIELD_LABELS[field]}。"
            setattr(circular, field, text)
    if "signed_on" in values:
        signed_on = values["signed_on"] or None
        if signed_on is not None and not isinstance(signed_on, datetime.date):
            errors["signed_on"] = "成文日期不是有效日期。"
        circular.signed_on = signed_on
    changed_sections: list[str] = []
    if "sections" in values:
        texts = values["sections"] or {}
        if not isinstance(texts, dict):
            errors["sections"] = "正文格式不正确。"
        else:
            known = {s["code"] for s in circular.sections}
            stray = set(texts) - known
            if stray:
                errors["sections"] = f"没有这些正文段落：{'、'.join(sorted(stray))}。"
            sections = []
            for section in circular.sections:
                text = str(texts.get(section["code"], section["text"]) or "").strip()
                if len(text) > SECTION_MAX_LENGTH:
                    errors["sections"] = f"“{section['heading']}”不能超过 {SECTION_MAX_LENGTH} 字。"
                if text != section["text"]:
                    changed_sections.append(section["code"])
                sections.append({**section, "text": text})
            circular.sections = sections
    if "scope_levels" in values:
        levels = [str(code) for code in (values["scope_levels"] or [])]
        known_types = set(UnitType.objects.filter(code__in=levels).values_list("code", flat=True))
        if set(levels) - known_types:
            errors["scope_levels"] = (
                f"未知的组织层级：{'、'.join(sorted(set(levels) - known_types))}。"
            )
        circular.scope_levels = sorted(set(levels))
    units: list[Unit] | None = None
    if "scope_units" in values:
        wanted = list(values["scope_units"] or [])
        ids = [u.pk if isinstance(u, Unit) else u for u in wanted]
        units = list(Unit.objects.visible_to(actor).filter(pk__in=ids))
        if len(units) != len(set(ids)):
            errors["scope_units"] = "发至组织中有不存在或不在您查看范围内的组织。"
    if errors:
        raise ValidationError(errors)
    changes = audit.diff(before, circular)
    if changed_sections:
        changes["sections"] = [None, changed_sections]
    circular.save()
    if units is not None:
        old_ids = set(circular.scope_units.values_list("pk", flat=True))
        if old_ids != {u.pk for u in units}:
            circular.scope_units.set(units)
            changes["scope_units"] = [sorted(old_ids), sorted(u.pk for u in units)]
    if changes:
        audit.record(
            actor=actor,
            action="circular.update",
            obj=circular,
            scope_path=circular.round.host.path,
            changes=changes,
        )
    return circular


@transaction.atomic
def regenerate_circular(*, actor, circular: Circular) -> Circular:
    """Rebuild a draft's figures and section texts from the grades as they stand now (edited
    text is replaced; title, 文号 and scope stay)."""
    circular = _locked_circular(actor, circular, "您没有权限修改该通报。")
    draft = documents.draft(
        circular.round, effective_rules(circular.round.host, circular.round.scale or [])
    )
    circular.sections = draft["sections"]
    circular.data = draft["data"]
    circular.save(update_fields=["sections", "data", "updated_at"])
    audit.record(
        actor=actor,
        action="circular.regenerate",
        obj=circular,
        scope_path=circular.round.host.path,
    )
    return circular


@transaction.atomic
def issue_circular(*, actor, circular: Circular) -> Circular:
    """Issue (印发) a draft: it needs a 文号, a title, an issuer and a distribution scope, and is
    locked from then on."""
    circular = _locked_circular(actor, circular, "您没有权限印发该通报。")
    errors: dict[str, str] = {}
    if not circular.doc_number:
        errors["doc_number"] = "印发前请填写文号。"
    if not circular.title:
        errors["title"] = "请填写标题。"
    if not circular.issuer:
        errors["issuer"] = "请填写发文机关。"
    if not (circular.scope_text or circular.scope_levels or circular.scope_units.exists()):
        errors["scope_text"] = "印发前请确定发至范围。"
    if errors:
        raise ValidationError(errors)

    def prepare(circular: Circular, move: Transition) -> None:
        circular.signed_on = circular.signed_on or clock.today()

    return transitions.apply(
        CIRCULAR,
        actor=actor,
        obj=circular,
        to=CircularStatus.ISSUED,
        prepare=prepare,
        update_fields=["signed_on"],
        changes={"doc_number": [None, circular.doc_number]},
        locked=True,
    )
