"""Writes of 综合评定: set the formula, compute suggestions, decide, confirm, correct,
acknowledge.

Every service takes keyword arguments and an explicit ``actor``, checks permission through
:mod:`grading.policies`, validates with Chinese messages per field, runs in one transaction and
writes its audit entry in it. The lifecycle:

1. :func:`save_grading` — create or change the formula while the grading is a draft;
2. :func:`compute_suggestions` — the composite and suggested grade of every reporter, stored
   as ``GradeRow`` with each component's derivation; locks the formula; may be re-run until
   confirmation (the committee's decisions are kept);
3. :func:`decide_grade` — the committee's final grade (reason required when it differs from
   the suggestion), disqualifiers and 综合评价意见 for one row;
4. :func:`confirm_grades` — all rows together as ONE act, locked afterwards; the reporters
   are notified and the results hook runs in the same transaction;
5. :func:`correct_grade` — after confirmation, a new row with its reason supersedes the old;
6. :func:`acknowledge` — the reporter acknowledges their grade.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuzhi.assessment.grading import composite
from shuzhi.assessment.grading import selectors as grading_selectors
from shuzhi.assessment.grading.models import GradeRow, Grading, GradingStatus
from shuzhi.assessment.grading.policies import can_acknowledge, can_manage
from shuzhi.assessment.results import hooks as results
from shuzhi.assessment.transitions import GRADING
from shuzhi.core import audit, transitions
from shuzhi.core.notify import Message, notify, notify_many
from shuzhi.core.transitions import Transition
from shuzhi.cycles.models import Round

DEFAULT_FORMULA = [
    {"code": "annual_score", "weight": "0.4", "method": "with_adjustments"},
    {"code": "ballot_score", "weight": "0.6", "method": "category_weighted"},
]
DEFAULT_THRESHOLDS = [
    {"grade": "good", "min": "90"},
    {"grade": "fair_good", "min": "80"},
    {"grade": "average", "min": "60"},
    {"grade": "poor", "min": "0"},
]


def default_thresholds(scale: list[dict]) -> list[dict]:
    """The default thresholds when the round keeps the default scale, else evenly spaced."""
    codes = [s["code"] for s in scale]
    if codes == [t["grade"] for t in DEFAULT_THRESHOLDS]:
        return [dict(t) for t in DEFAULT_THRESHOLDS]
    step = Decimal(100) / len(codes)
    return [
        {"grade": code, "min": str((Decimal(100) - step * (i + 1)).quantize(Decimal("1")))}
        for i, code in enumerate(codes)
    ]


def formula_of(grading: Grading, reporters: int | None = None) -> composite.Formula:
    """The grading's validated formula (``reporters`` for the cap check; defaults to the
    round's number of reporters)."""
    rnd = grading.round
    if reporters is None:
        reporters = rnd.reporters.count()
    return composite.parse(
        grading.formula, grading.thresholds, grading.policies, rnd.scale, reporters
    )


def _require_manage(actor, rnd: Round) -> None:
    if not can_manage(actor, rnd):
        raise PermissionDenied("您没有评定本次述职评议等次的权限。")


def _locked_grading(grading: Grading) -> Grading:
    return Grading.objects.select_for_update().select_related("round__host").get(pk=grading.pk)


@transaction.atomic
def save_grading(
    *,
    actor,
    round: Round,
    formula: list[dict[str, Any]],
    thresholds: list[dict[str, Any]],
    policies: dict[str, Any] | None = None,
) -> Grading:
    """Create the grading of ``round`` or change its formula; refused once suggestions exist
    (the formula is locked as soon as grading starts)."""
    _require_manage(actor, round)
    policies = policies or {}
    composite.parse(formula, thresholds, policies, round.scale, round.reporters.count())
    grading = Grading.objects.select_for_update().filter(round=round).first()
    if grading is not None and grading.formula_locked:
        raise ValidationError({"formula": "已开始评定，综合得分公式已锁定，不能再修改。"})
    before = {}
    if grading is None:
        grading = Grading(round=round)
    else:
        before = {
            "formula": grading.formula,
            "thresholds": grading.thresholds,
            "policies": grading.policies,
        }
    grading.formula, grading.thresholds, grading.policies = formula, thresholds, policies
    grading.save()
    audit.record(
        actor=actor,
        action="grading.save",
        obj=grading,
        scope_path=round.host.path,
        changes={
            k: [before.get(k), getattr(grading, k)]
            for k in ("formula", "thresholds", "policies")
            if before.get(k) != getattr(grading, k)
        },
    )
    return grading


def _suggest_all(grading: Grading, *, actor) -> list[GradeRow]:
    """(Re)compute every reporter's components, composite, suggestion and rank; keep the
    committee's decisions. Caller holds the grading's lock."""
    rnd = grading.round
    reporters = grading_selectors.reporters_of(rnd)
    formula = formula_of(grading, len(reporters))
    facts = grading_selectors.gather(rnd, formula, reporters)
    existing = {r.reporter_id: r for r in GradeRow.objects.filter(grading=grading, is_current=True)}
    scale = rnd.scale
    results: dict[int, tuple[composite.Composite, composite.Suggestion]] = {}
    for f in facts:
        row = existing.get(f.reporter.pk)
        disq = list(row.disqualifiers) if row else []
        result = composite.composite(formula, f.values)
        results[f.reporter.pk] = (
            result,
            composite.suggest(formula, result, scale, ballots=f.ballots, disqualified=disq),
        )
    capped = composite.apply_cap(
        formula,
        {k: (c.value, s.grade) for k, (c, s) in results.items()},
        scale,
        len(reporters),
    )
    ranks = composite.rank({k: c.value for k, (c, _s) in results.items()})
    now = timezone.now()
    to_create, to_update = [], []
    for f in facts:
        result, suggestion = results[f.reporter.pk]
        grade, note = capped[f.reporter.pk]
        derivation = suggestion.derivation + (f"；{note}" if note else "")
        components = {code: v.as_json() for code, v in f.values.items()}
        components["_composite"] = {"derivation": result.derivation, "formula": formula.text()}
        row = existing.get(f.reporter.pk)
        if row is None:
            row = GradeRow(grading=grading, reporter=f.reporter, final=grade)
            to_create.append(row)
        else:
            to_update.append(row)
            if row.decided_by_id is None:
                row.final = grade  # nobody decided yet: the final follows the suggestion
        row.composite = result.value
        row.components = components
        row.suggested = grade
        row.derivation = derivation
        row.rank = ranks.get(f.reporter.pk)
    GradeRow.objects.bulk_create(to_create, batch_size=1000)
    GradeRow.objects.bulk_update(
        to_update, ["composite", "components", "suggested", "derivation", "rank", "final"], 1000
    )
    grading.computed_at = now
    grading.save(update_fields=["computed_at", "updated_at"])
    return to_create + to_update


@transaction.atomic
def compute_suggestions(*, actor, grading: Grading) -> list[GradeRow]:
    """Compute the suggestions of every reporter; locks the formula. Refused once confirmed."""
    _require_manage(actor, grading.round)
    grading = _locked_grading(grading)
    transitions.check(GRADING, actor=actor, obj=grading, to=GradingStatus.SUGGESTED)
    rows = _suggest_all(grading, actor=actor)
    transitions.apply(
        GRADING,
        actor=actor,
        obj=grading,
        to=GradingStatus.SUGGESTED,
        note=f"计算 {len(rows)} 个述职对象的建议等次",
        locked=True,
    )
    return rows


def _check_disqualifiers(disqualifiers: list[str], formula: composite.Formula) -> None:
    known = {c for c, _l in formula.disqualifiers}
    unknown = [d for d in disqualifiers if d not in known]
    if unknown:
        raise ValidationError({"disqualifiers": f"未知的否决情形：{'、'.join(unknown)}。"})


def _check_grade(
    grading: Grading,
    *,
    final: str,
    reason: str,
    suggested: str,
    disqualifiers: list[str],
    formula: composite.Formula,
) -> None:
    scale = grading.round.scale
    codes = [s["code"] for s in scale]
    if final not in codes:
        raise ValidationError({"final": "请选择评价等次中的一个等次。"})
    # The disqualifiers are absolute: no reason makes the best grade possible.
    _check_disqualifiers(disqualifiers, formula)
    if disqualifiers and final == codes[0]:
        raise ValidationError({"final": f"存在否决情形，不得评为“{scale[0]['label']}”。"})
    if final != suggested and not reason.strip():
        raise ValidationError({"reason": "评定等次与建议等次不同，必须说明理由。"})


@transaction.atomic
def decide_grade(
    *,
    actor,
    row: GradeRow,
    final: str,
    reason: str = "",
    disqualifiers: list[str] | None = None,
    opinion: str | None = None,
) -> GradeRow:
    """The committee's grade for one row before confirmation. A change of disqualifiers
    recomputes every suggestion (the cap and the ranks depend on all rows)."""
    grading = row.grading
    _require_manage(actor, grading.round)
    grading = _locked_grading(grading)
    if grading.status != GradingStatus.SUGGESTED:
        raise ValidationError({"status": "只有已生成建议等次、尚未确定的评定可以调整等次。"})
    row = GradeRow.objects.select_for_update().get(pk=row.pk, grading=grading)
    if not row.is_current:
        raise ValidationError({"status": "这条评定结果已被更正，不能再修改。"})
    formula = formula_of(grading)
    disqualifiers = list(
        dict.fromkeys(disqualifiers if disqualifiers is not None else row.disqualifiers)
    )
    before = {
        "final": row.final,
        "reason": row.reason,
        "disqualifiers": row.disqualifiers,
        "opinion": row.opinion,
    }
    if disqualifiers != list(row.disqualifiers):
        _check_disqualifiers(disqualifiers, formula)
        row.disqualifiers = disqualifiers
        row.save(update_fields=["disqualifiers"])
        _suggest_all(grading, actor=actor)
        row.refresh_from_db()
    _check_grade(
        grading,
        final=final,
        reason=reason,
        suggested=row.suggested,
        disqualifiers=disqualifiers,
        formula=formula,
    )
    row.final = final
    row.reason = reason.strip() if final != row.suggested else ""
    if opinion is not None:
        row.opinion = opinion.strip()
    row.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    row.decided_at = timezone.now()
    row.save()
    after = {
        "final": row.final,
        "reason": row.reason,
        "disqualifiers": row.disqualifiers,
        "opinion": row.opinion,
    }
    audit.record(
        actor=actor,
        action="grading.decide",
        obj=row,
        object_label=f"{row.reporter.unit.name} 评定等次",
        scope_path=grading.round.host.path,
        changes={
            k: [_named(k, before[k], grading), _named(k, after[k], grading)]
            for k in after
            if before[k] != after[k]
        },
    )
    return row


def _named(field: str, value: Any, grading: Grading) -> Any:
    """Disqualifiers by their labels in the audit trail: their codes are the round's own
    policy data, which the trail's reader has no way to look up."""
    if field != "disqualifiers":
        return value
    labels = {
        d.get("code"): d.get("label") or d.get("code")
        for d in (grading.policies or {}).get("disqualifiers") or []
        if isinstance(d, dict)
    }
    return [labels.get(code, code) for code in value]


def _notify_reporter(row: GradeRow, *, title: str, body: str) -> None:
    """Tell the reporting person's account about their grade."""
    if row.reporter.person_id is None:
        return
    User = get_user_model()
    url = reverse("grading_mine")
    for user in User.objects.filter(person_id=row.reporter.person_id, is_active=True):
        notify(
            user=user,
            kind="grading.confirmed",
            title=title,
            body=body,
            url=url,
            key=f"grading:{row.pk}",
        )


def _notify_confirmed(grading: Grading, rows: list[GradeRow], labels: dict[str, str]) -> None:
    """Tell every reporting person's account their grade: one query for the accounts and one
    batch of messages, whatever the number of reporters."""
    by_person: dict[int, list[GradeRow]] = {}
    for row in rows:
        if row.reporter.person_id is not None:
            by_person.setdefault(row.reporter.person_id, []).append(row)
    if not by_person:
        return
    url = reverse("grading_mine")
    users = get_user_model().objects.filter(person_id__in=by_person, is_active=True)
    notify_many(
        Message(
            user_id=user_id,
            kind="grading.confirmed",
            title=f"{grading.round.title}：评定等次已确定",
            body=f"{row.reporter.unit.name} 评定等次为“{labels.get(row.final, row.final)}”，"
            "请查看并确认知悉。",
            url=url,
            key=f"grading:{row.pk}",
        )
        for user_id, person_id in users.values_list("pk", "person_id")
        for row in by_person[person_id]
    )


@transaction.atomic
def confirm_grades(*, actor, grading: Grading) -> list[GradeRow]:
    """Confirm every current row together as one act and lock the grading.

    Refused when a row has no grade, a changed grade has no reason, a disqualified row has the
    best grade, or the best grade exceeds the cap. The reporters are notified; the results
    hook ``on_grades_confirmed`` runs inside this transaction, after locking.
    """
    _require_manage(actor, grading.round)
    grading = _locked_grading(grading)
    transitions.check(GRADING, actor=actor, obj=grading, to=GradingStatus.CONFIRMED)
    rows = list(grading_selectors.rows_of(grading))
    if not rows:
        raise ValidationError({"status": "没有可确定的评定结果。"})
    formula = formula_of(grading, len(rows))
    labels = grading_selectors.scale_labels(grading.round)
    for row in rows:
        try:
            _check_grade(
                grading,
                final=row.final,
                reason=row.reason,
                suggested=row.suggested,
                disqualifiers=list(row.disqualifiers),
                formula=formula,
            )
        except ValidationError as exc:
            message = "；".join(m for ms in exc.message_dict.values() for m in ms)
            raise ValidationError({"status": f"{row.reporter.unit.name}：{message}"}) from exc
    refused = composite.cap_exceeded(formula, [r.final for r in rows], grading.round.scale)
    if refused:
        raise ValidationError({"status": refused})
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    for row in rows:
        if row.decided_at is None:
            row.decided_at = now
            row.decided_by = user
    GradeRow.objects.bulk_update(rows, ["decided_at", "decided_by"], 1000)

    def prepare(grading: Grading, move: Transition) -> None:
        grading.locked_at = now
        grading.confirmed_by = user

    transitions.apply(
        GRADING,
        actor=actor,
        obj=grading,
        to=GradingStatus.CONFIRMED,
        prepare=prepare,
        update_fields=["locked_at", "confirmed_by"],
        changes={
            "grades": [None, {r.reporter.unit.name: labels.get(r.final, r.final) for r in rows}],
        },
        note=f"确定 {len(rows)} 个述职对象的评定等次",
        locked=True,
    )
    results.on_grades_confirmed(actor=actor, grading=grading, rows=rows)
    _notify_confirmed(grading, rows, labels)
    return rows


@transaction.atomic
def correct_grade(
    *, actor, row: GradeRow, final: str, reason: str, opinion: str | None = None
) -> GradeRow:
    """Correct a confirmed grade: a new current row with the reason supersedes the old one,
    which is kept unchanged except for the link. The results hook ``on_grade_corrected`` runs
    in this transaction."""
    grading = row.grading
    _require_manage(actor, grading.round)
    grading = _locked_grading(grading)
    if not grading.is_confirmed:
        raise ValidationError({"status": "评定结果尚未确定，请直接调整等次。"})
    old = (
        GradeRow.objects.select_for_update()
        .select_related("reporter__unit")
        .get(pk=row.pk, grading=grading)
    )
    if not old.is_current:
        raise ValidationError({"status": "这条评定结果已被更正，请更正最新的结果。"})
    if not reason.strip():
        raise ValidationError({"reason": "更正评定结果必须说明理由。"})
    formula = formula_of(grading)
    _check_grade(
        grading,
        final=final,
        reason=reason,
        suggested=old.suggested,
        disqualifiers=list(old.disqualifiers),
        formula=formula,
    )
    if final == old.final and (opinion is None or opinion.strip() == old.opinion):
        raise ValidationError({"final": "更正后的结果与原结果相同。"})
    others = list(
        GradeRow.objects.filter(grading=grading, is_current=True)
        .exclude(pk=old.pk)
        .values_list("final", flat=True)
    )
    refused = composite.cap_exceeded(formula, [*others, final], grading.round.scale)
    if refused:
        raise ValidationError({"final": refused})
    old.is_current = False
    old.save(update_fields=["is_current"])
    user = actor if getattr(actor, "is_authenticated", False) else None
    new = GradeRow.objects.create(
        grading=grading,
        reporter=old.reporter,
        composite=old.composite,
        components=old.components,
        derivation=old.derivation,
        suggested=old.suggested,
        final=final,
        reason=reason.strip(),
        disqualifiers=old.disqualifiers,
        opinion=old.opinion if opinion is None else opinion.strip(),
        rank=old.rank,
        decided_by=user,
        decided_at=timezone.now(),
    )
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    labels = grading_selectors.scale_labels(grading.round)
    audit.record(
        actor=actor,
        action="grading.correct",
        obj=new,
        object_label=f"{old.reporter.unit.name} 评定等次更正",
        scope_path=grading.round.host.path,
        changes={"final": [old.final, new.final], "row": [old.pk, new.pk]},
        note=reason.strip(),
    )
    results.on_grade_corrected(actor=actor, old=old, new=new)
    _notify_reporter(
        new,
        title=f"{grading.round.title}：评定等次已更正",
        body=f"{old.reporter.unit.name} 评定等次更正为“{labels.get(final, final)}”，"
        f"理由：{reason.strip()}",
    )
    return new


@transaction.atomic
def acknowledge(*, actor, row: GradeRow) -> GradeRow:
    """The reporter acknowledges their confirmed grade (once)."""
    row = (
        GradeRow.objects.select_for_update()
        .select_related("grading__round__host", "reporter__unit")
        .get(pk=row.pk)
    )
    if not can_acknowledge(actor, row):
        raise PermissionDenied("只有述职对象本人可以确认知悉评定结果。")
    if row.acknowledged_at is not None:
        raise ValidationError({"status": "已确认知悉，无需重复确认。"})
    row.acknowledged_at = timezone.now()
    row.acknowledged_by = actor
    row.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(
        actor=actor,
        action="grading.acknowledge",
        obj=row,
        object_label=f"{row.reporter.unit.name} 确认知悉评定结果",
        scope_path=row.reporter.unit.path,
        changes={"acknowledged_at": [None, row.acknowledged_at.isoformat()]},
    )
    return row
