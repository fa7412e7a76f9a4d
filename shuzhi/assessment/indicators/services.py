"""Every change to indicator sets and annual scores goes through these functions.

Keyword-only arguments, an explicit ``actor``, a policy check, validation with Chinese messages
per field, one transaction with an audit entry in it; a failed call leaves the database as it
was. Each change to a set re-runs the governance checks (:func:`run_checks`) in the same
transaction, so the stored findings always describe the set as it stands. A 留痕 item is
refused before it is saved, with the rule cited.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q

from shuzhi.assessment.indicators import governance
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    AnnualScore,
    GovernanceFinding,
    GovernancePolicy,
    IndicatorItem,
    IndicatorSet,
    ItemKind,
    ItemScore,
    ItemSource,
    ScoreEvidence,
    SetStatus,
)
from shuzhi.assessment.indicators.policies import (
    CHANGE,
    VIEW,
    applies_to,
    can_approve,
    can_self_score,
    can_set,
    can_set_governance,
)
from shuzhi.assessment.transitions import ADJUSTMENT, INDICATOR_SET
from shuzhi.core import audit, clock, transitions
from shuzhi.core.files import check_upload
from shuzhi.core.transitions import Transition
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit, UnitType

FIRST_YEAR, LAST_YEAR = 2014, 2100
MAX_POINTS = Decimal("1000")
ITEM_FIELDS = (
    "code",
    "name",
    "description",
    "max_points",
    "scoring_guide",
    "kind",
    "source",
    "source_params",
    "sort_order",
    "override_reason",
)
OVERRIDE_MIN_CHARS = 10


# --- Policy -----------------------------------------------------------------------------------


def effective_policy(host: Unit) -> dict:
    """The defaults with every ``GovernancePolicy`` on the host or above it laid over them,
    nearest last (so the nearest wins)."""
    ids = [*host.ancestor_ids, host.pk]
    rows = GovernancePolicy.objects.filter(unit_id__in=ids).values_list("unit__depth", "data")
    policy = governance.default_policy()
    for _depth, data in sorted(rows, key=lambda row: row[0]):
        policy = governance.merge_policy(policy, data)
    return policy


@transaction.atomic
def set_governance_policy(*, actor, unit: Unit, data: dict) -> GovernancePolicy:
    """Override the governance policy for the sets hosted in ``unit``'s subtree."""
    if not can_set_governance(actor, unit):
        raise PermissionDenied("减负规则由上级设置，您没有权限为该组织设置。")
    if not isinstance(data, dict):
        raise ValidationError({"data": "规则设置格式不正确。"})
    governance.validate_policy(governance.merge_policy(governance.default_policy(), data))
    row, _created = GovernancePolicy.objects.select_for_update().get_or_create(unit=unit)
    old = row.data
    row.data = data
    row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    row.save()
    audit.record(
        actor=actor,
        action="assessment.policy",
        obj=row,
        scope_path=unit.path,
        changes={"data": [old, data]},
    )
    return row


# --- Governance checks ------------------------------------------------------------------------


def item_view(item: IndicatorItem) -> governance.ItemView:
    return governance.ItemView(
        id=item.pk,
        code=item.code,
        name=item.name,
        description=item.description,
        scoring_guide=item.scoring_guide,
        kind=item.kind,
        max_points=item.max_points,
        derived_from_id=item.derived_from_id,
        override_reason=item.override_reason,
    )


def _overlapping_sets(indicator_set: IndicatorSet) -> list[IndicatorSet]:
    """Other sets of the same year and assessed type whose hosts' subtrees contain the same
    units (same host, an ancestor or a descendant), except those linked to this one by
    derivation — a derived set replaces its parent for the units below, so they are one
    assessment, not two."""
    host = indicator_set.host
    ancestors = [f"/{'/'.join(map(str, host.ancestor_ids[:i]))}/" for i in range(1, host.depth)]
    candidates = list(
        IndicatorSet.objects.filter(
            year=indicator_set.year, assessed_type=indicator_set.assessed_type
        )
        .filter(Q(host__path__in=[*ancestors, host.path]) | Q(host__path__startswith=host.path))
        .select_related("host")
    )
    parent_of = {s.pk: s.parent_set_id for s in candidates}
    parent_of[indicator_set.pk] = indicator_set.parent_set_id

    def chain(pk: int | None) -> list[int]:
        seen = []
        while pk is not None and pk not in seen:
            seen.append(pk)
            pk = parent_of.get(pk)
        return seen

    mine = set(chain(indicator_set.pk))
    return [
        s
        for s in candidates
        if s.pk != indicator_set.pk and s.pk not in mine and indicator_set.pk not in chain(s.pk)
    ]


def compute_findings(
    indicator_set: IndicatorSet, policy: dict | None = None
) -> list[governance.Finding]:
    """Run every check on the set as stored (no writes)."""
    policy = policy or effective_policy(indicator_set.host)
    items = [item_view(i) for i in indicator_set.items.order_by("sort_order", "id")]
    parent_items = None
    if indicator_set.parent_set_id:
        parent_items = [
            item_view(i) for i in IndicatorItem.objects.filter(set_id=indicator_set.parent_set_id)
        ]
    others = _overlapping_sets(indicator_set)
    other_items: dict[int, list[governance.ItemView]] = {s.pk: [] for s in others}
    for item in IndicatorItem.objects.filter(set_id__in=list(other_items)):
        other_items[item.set_id].append(item_view(item))
    other_views = [
        governance.SetView(
            id=s.pk,
            title=s.title,
            host_name=s.host.name,
            host_path=s.host.path,
            items=tuple(other_items[s.pk]),
        )
        for s in others
    ]
    return governance.run_all(
        items,
        host_depth=indicator_set.host.depth,
        parent_items=parent_items,
        others=other_views,
        policy=policy,
    )


def run_checks(indicator_set: IndicatorSet) -> list[GovernanceFinding]:
    """Re-run the checks and replace the stored findings (call inside the caller's
    transaction). Sets that overlap this one are re-checked too, so both sides list the
    overlap."""
    policy = effective_policy(indicator_set.host)
    findings = compute_findings(indicator_set, policy)
    GovernanceFinding.objects.filter(set=indicator_set).delete()
    rows = GovernanceFinding.objects.bulk_create(
        [
            GovernanceFinding(
                set=indicator_set,
                code=f.code,
                severity=f.severity,
                item_id=f.item_id,
                other_set_id=f.other_set_id,
                message=f.message,
                rule=f.rule,
                details=f.details,
            )
            for f in findings
        ]
    )
    indicator_set.limits = {
        "max_items": governance.item_limit(policy, indicator_set.host.depth),
        "policy": policy,
    }
    indicator_set.checked_at = clock.now()
    IndicatorSet.objects.filter(pk=indicator_set.pk).update(
        limits=indicator_set.limits, checked_at=indicator_set.checked_at
    )
    return rows


def _refresh_overlaps(indicator_set: IndicatorSet, before: set[int]) -> None:
    """Re-check the sets that overlapped before or overlap now, so their reports stay true."""
    now = {s.pk for s in _overlapping_sets(indicator_set)}
    for other in IndicatorSet.objects.filter(pk__in=before | now).select_related("host"):
        _store(other)


def _store(indicator_set: IndicatorSet) -> None:
    """Re-check one set without touching the sets it overlaps (no recursion)."""
    run_checks(indicator_set)


def _after_change(indicator_set: IndicatorSet) -> None:
    before = set(
        GovernanceFinding.objects.filter(set=indicator_set, code="overlap")
        .exclude(other_set=None)
        .values_list("other_set_id", flat=True)
    )
    run_checks(indicator_set)
    _refresh_overlaps(indicator_set, before)


# --- Sets -------------------------------------------------------------------------------------


def _require_change(actor, indicator_set: IndicatorSet) -> None:
    if not can_set(actor, CHANGE, indicator_set):
        raise PermissionDenied("您没有权限修改该考核指标体系。")


def _require_draft(indicator_set: IndicatorSet) -> None:
    if indicator_set.status != SetStatus.DRAFT:
        raise ValidationError({"__all__": "指标体系已发布，不能再修改。"})


def _clean_title(title: str) -> str:
    text = (title or "").strip()
    if not text:
        raise ValidationError({"title": "名称不能为空。"})
    if len(text) > 200:
        raise ValidationError({"title": "名称不能超过 200 个字符。"})
    return text


def _check_title_free(host: Unit, year: int, assessed_type: UnitType, title: str, pk=None) -> None:
    clash = IndicatorSet.objects.filter(
        host=host, year=year, assessed_type=assessed_type, title=title
    )
    if pk:
        clash = clash.exclude(pk=pk)
    if clash.exists():
        raise ValidationError({"title": "同一组织同一年度同一考核对象已有同名指标体系。"})


def default_title(host: Unit, year: int, assessed_type: UnitType) -> str:
    return f"{host.name}{year}年度{assessed_type.name}党建工作考核指标"


@transaction.atomic
def create_set(
    *, actor, host: Unit, year: int, assessed_type: UnitType, title: str = ""
) -> IndicatorSet:
    """A new, empty draft set of ``host`` for ``year`` and units of ``assessed_type``."""
    if not org_policies.can(actor, CHANGE, host):
        raise PermissionDenied("您没有权限为该组织制定考核指标。")
    if not host.is_active:
        raise ValidationError({"host": "已合并或已撤销的组织不能制定考核指标。"})
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": f"年度必须在 {FIRST_YEAR} 到 {LAST_YEAR} 之间。"})
    title = _clean_title(title or default_title(host, year, assessed_type))
    _check_title_free(host, year, assessed_type, title)
    indicator_set = IndicatorSet.objects.create(
        host=host, year=year, assessed_type=assessed_type, title=title
    )
    audit.record(
        actor=actor,
        action="assessment.set.create",
        obj=indicator_set,
        scope_path=host.path,
        changes={
            "host": [None, host.name],
            "year": [None, year],
            "assessed_type": [None, assessed_type.name],
            "title": [None, title],
        },
    )
    _after_change(indicator_set)
    return indicator_set


@transaction.atomic
def derive_set(
    *,
    actor,
    parent: IndicatorSet,
    host: Unit,
    title: str = "",
    keep: Mapping[int, Decimal | str | None] | None = None,
) -> tuple[IndicatorSet, list[str]]:
    """Derive a draft set for ``host`` (below the parent's host) from ``parent``.

    ``keep`` maps parent item ids to the points the derived item carries (``None`` keeps the
    parent's points); items not in it are dropped. ``None`` inherits every item. Points above
    the parent's are refused (层层加码). Parent items that the 留痕 check now refuses are not
    inherited; their names come back as the second value.
    """
    if not can_set(actor, VIEW, parent):
        raise PermissionDenied("您没有权限查看上级指标体系。")
    if not org_policies.can(actor, CHANGE, host):
        raise PermissionDenied("您没有权限为该组织制定考核指标。")
    if parent.status != SetStatus.PUBLISHED:
        raise ValidationError({"parent": "只能从已发布的上级指标体系派生。"})
    if not (host.path.startswith(parent.host.path) and host.pk != parent.host_id):
        raise ValidationError({"host": f"派生的指标体系必须由“{parent.host.name}”的下级组织制定。"})
    if not host.is_active:
        raise ValidationError({"host": "已合并或已撤销的组织不能制定考核指标。"})
    title = _clean_title(title or default_title(host, parent.year, parent.assessed_type))
    _check_title_free(host, parent.year, parent.assessed_type, title)
    parent_items = list(parent.items.order_by("sort_order", "id"))
    known = {i.pk for i in parent_items}
    if keep is not None:
        unknown = set(keep) - known
        if unknown:
            raise ValidationError({"keep": "所选指标不属于上级指标体系。"})
    policy = effective_policy(host)
    indicator_set = IndicatorSet.objects.create(
        host=host,
        year=parent.year,
        assessed_type=parent.assessed_type,
        title=title,
        parent_set=parent,
    )
    skipped: list[str] = []
    new_items = []
    for item in parent_items:
        if keep is not None and item.pk not in keep:
            continue
        if any(
            f.severity == "error"
            for f in governance.check_trace_item(item_view(item), policy=policy)
        ):
            skipped.append(item.name)
            continue
        points = item.max_points
        wanted = keep.get(item.pk) if keep is not None else None
        if wanted not in (None, ""):
            points = _clean_points(wanted, field="keep")
            if points > item.max_points:
                raise ValidationError(
                    {
                        "keep": f"“{item.name}”的分值 {points} 高于上级的 "
                        f"{item.max_points} 分，属于层层加码。"
                    }
                )
        new_items.append(
            IndicatorItem(
                set=indicator_set,
                code=item.code,
                name=item.name,
                description=item.description,
                max_points=points,
                scoring_guide=item.scoring_guide,
                kind=item.kind,
                source=item.source,
                source_params=item.source_params,
                derived_from=item,
                sort_order=item.sort_order,
            )
        )
    IndicatorItem.objects.bulk_create(new_items)
    audit.record(
        actor=actor,
        action="assessment.set.derive",
        obj=indicator_set,
        scope_path=host.path,
        changes={
            "parent_set": [None, str(parent)],
            "host": [None, host.name],
            "items": [None, len(new_items)],
        },
        note=("未继承留痕指标：" + "、".join(skipped)) if skipped else "",
    )
    _after_change(indicator_set)
    return indicator_set, skipped


@transaction.atomic
def update_set(*, actor, indicator_set: IndicatorSet, title: str) -> IndicatorSet:
    """Rename a draft set."""
    _require_change(actor, indicator_set)
    indicator_set = (
        IndicatorSet.objects.select_for_update()
        .select_related("host", "assessed_type")
        .get(pk=indicator_set.pk)
    )
    _require_draft(indicator_set)
    before = audit.snapshot(indicator_set, ["title"])
    indicator_set.title = _clean_title(title)
    _check_title_free(
        indicator_set.host,
        indicator_set.year,
        indicator_set.assessed_type,
        indicator_set.title,
        indicator_set.pk,
    )
    changes = audit.diff(before, indicator_set)
    if changes:
        indicator_set.save(update_fields=["title", "updated_at"])
        audit.record(
            actor=actor,
            action="assessment.set.update",
            obj=indicator_set,
            scope_path=indicator_set.host.path,
            changes=changes,
        )
        _after_change(indicator_set)
    return indicator_set


@transaction.atomic
def publish_set(*, actor, indicator_set: IndicatorSet) -> IndicatorSet:
    """Publish a draft set; refused while the governance report has any 不符合 finding."""
    _require_change(actor, indicator_set)
    indicator_set = (
        IndicatorSet.objects.select_for_update().select_related("host").get(pk=indicator_set.pk)
    )
    transitions.check(INDICATOR_SET, actor=actor, obj=indicator_set, to=SetStatus.PUBLISHED)
    if not indicator_set.items.exists():
        raise ValidationError({"__all__": "指标体系还没有指标，不能发布。"})
    findings = run_checks(indicator_set)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ValidationError(
            {"__all__": [f"不符合减负规则，不能发布：{f.message}" for f in errors]}
        )

    def prepare(indicator_set: IndicatorSet, move: Transition) -> None:
        indicator_set.published_at = clock.now()

    return transitions.apply(
        INDICATOR_SET,
        actor=actor,
        obj=indicator_set,
        to=SetStatus.PUBLISHED,
        prepare=prepare,
        update_fields=["published_at"],
        locked=True,
    )


# --- Items ------------------------------------------------------------------------------------


def _clean_points(value, *, field: str = "max_points", maximum: Decimal = MAX_POINTS) -> Decimal:
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: "分值必须是数字。"}) from exc
    if not points.is_finite() or points <= 0 or points > maximum:
        raise ValidationError({field: f"分值必须大于 0 且不超过 {maximum}。"})
    if points != points.quantize(Decimal("0.01")):
        raise ValidationError({field: "分值最多保留两位小数。"})
    return points


def _clean_item(item: IndicatorItem, indicator_set: IndicatorSet, policy: dict) -> None:
    """Validate an item before it is saved; a 留痕 item is refused with the rule cited."""
    item.code = (item.code or "").strip()
    item.name = (item.name or "").strip()
    if not item.code:
        raise ValidationError({"code": "编号不能为空。"})
    if len(item.code) > 32:
        raise ValidationError({"code": "编号不能超过 32 个字符。"})
    if not item.name:
        raise ValidationError({"name": "指标名称不能为空。"})
    if len(item.name) > 200:
        raise ValidationError({"name": "指标名称不能超过 200 个字符。"})
    if item.kind not in ItemKind.values:
        raise ValidationError({"kind": "指标性质只能是结果性或过程性。"})
    if item.source not in ItemSource.values:
        raise ValidationError({"source": "数据来源不正确。"})
    if not isinstance(item.source_params, dict):
        raise ValidationError({"source_params": "自动计分参数格式不正确。"})
    if item.source == ItemSource.RECT_OVERDUE:
        try:
            if Decimal(str(item.source_params.get("per_item", "1"))) <= 0:
                raise ValueError
        except (ArithmeticError, ValueError) as exc:
            raise ValidationError({"source_params": "每个逾期问题的扣分必须是正数。"}) from exc
    item.max_points = _clean_points(item.max_points)
    clash = IndicatorItem.objects.filter(set=indicator_set, code=item.code)
    if item.pk:
        clash = clash.exclude(pk=item.pk)
    if clash.exists():
        raise ValidationError({"code": f"编号“{item.code}”已被使用。"})
    if item.derived_from_id is not None and (
        indicator_set.parent_set_id is None
        or not IndicatorItem.objects.filter(
            pk=item.derived_from_id, set_id=indicator_set.parent_set_id
        ).exists()
    ):
        raise ValidationError({"derived_from": "只能从本指标体系的上级指标体系中的指标派生。"})
    item.override_reason = (item.override_reason or "").strip()
    if len(item.override_reason) > 500:
        raise ValidationError({"override_reason": "采用理由不能超过 500 个字。"})
    if item.override_reason and len(item.override_reason) < OVERRIDE_MIN_CHARS:
        raise ValidationError(
            {
                "override_reason": f"采用理由至少写 {OVERRIDE_MIN_CHARS} 个字，"
                "说明这项指标考的是什么结果、为什么不属于留痕。"
            }
        )
    refused = [
        f
        for f in governance.check_trace_item(item_view(item), policy=policy)
        if f.severity == "error"
    ]
    if refused:
        raise ValidationError({"name": f"{refused[0].message}依据：{refused[0].rule}"})


def preview_item(
    *,
    indicator_set: IndicatorSet,
    name: str,
    description: str = "",
    scoring_guide: str = "",
    kind: str = "outcome",
) -> list[governance.Finding]:
    """What the 留痕 check says about an item being typed (nothing is saved)."""
    policy = effective_policy(indicator_set.host)
    view = governance.ItemView(
        id=None,
        code="",
        name=name or "",
        description=description or "",
        scoring_guide=scoring_guide or "",
        kind=kind,
    )
    return governance.check_trace_item(view, policy=policy)


@transaction.atomic
def add_item(
    *,
    actor,
    indicator_set: IndicatorSet,
    code: str,
    name: str,
    max_points,
    description: str = "",
    scoring_guide: str = "",
    kind: str = ItemKind.OUTCOME,
    source: str = ItemSource.MANUAL,
    source_params: dict | None = None,
    derived_from: IndicatorItem | None = None,
    sort_order: int | None = None,
    override_reason: str = "",
) -> IndicatorItem:
    """Add an item to a draft set. A 留痕 item is refused and nothing is saved, unless the
    organiser gives a written reason to keep it (``override_reason``, audited)."""
    _require_change(actor, indicator_set)
    indicator_set = (
        IndicatorSet.objects.select_for_update().select_related("host").get(pk=indicator_set.pk)
    )
    _require_draft(indicator_set)
    if sort_order is None:
        sort_order = (indicator_set.items.aggregate(m=Max("sort_order"))["m"] or 0) + 10
    item = IndicatorItem(
        set=indicator_set,
        code=code,
        name=name,
        description=(description or "").strip(),
        max_points=max_points,
        scoring_guide=(scoring_guide or "").strip(),
        kind=kind,
        source=source or ItemSource.MANUAL,
        source_params=source_params or {},
        derived_from=derived_from,
        sort_order=sort_order,
        override_reason=override_reason or "",
    )
    _clean_item(item, indicator_set, effective_policy(indicator_set.host))
    item.save()
    audit.record(
        actor=actor,
        action="assessment.item.create",
        obj=item,
        scope_path=indicator_set.host.path,
        changes={name: [None, value] for name, value in audit.snapshot(item, ITEM_FIELDS).items()},
    )
    _after_change(indicator_set)
    return item


@transaction.atomic
def update_item(*, actor, item: IndicatorItem, **fields) -> IndicatorItem:
    """Change an item of a draft set (any of ``ITEM_FIELDS``); 留痕 text is refused."""
    indicator_set = (
        IndicatorSet.objects.select_for_update().select_related("host").get(pk=item.set_id)
    )
    _require_change(actor, indicator_set)
    _require_draft(indicator_set)
    unknown = set(fields) - {*ITEM_FIELDS, "derived_from"}
    if unknown:
        raise ValidationError({"__all__": f"不能修改：{'、'.join(sorted(unknown))}。"})
    item = IndicatorItem.objects.get(pk=item.pk)
    before = audit.snapshot(item, (*ITEM_FIELDS, "derived_from"))
    if "derived_from" in fields:  # None is a value here: the item stops deriving
        item.derived_from = fields.pop("derived_from")
    for name, value in fields.items():
        if value is not None:
            setattr(item, name, value)
    _clean_item(item, indicator_set, effective_policy(indicator_set.host))
    changes = audit.diff(before, item)
    if changes:
        item.save()
        audit.record(
            actor=actor,
            action="assessment.item.update",
            obj=item,
            scope_path=indicator_set.host.path,
            changes=changes,
        )
        _after_change(indicator_set)
    return item


@transaction.atomic
def remove_item(*, actor, item: IndicatorItem) -> None:
    """Remove an item from a draft set (refused while a derived set still derives from it)."""
    indicator_set = (
        IndicatorSet.objects.select_for_update().select_related("host").get(pk=item.set_id)
    )
    _require_change(actor, indicator_set)
    _require_draft(indicator_set)
    if IndicatorItem.objects.filter(derived_from_id=item.pk).exists():
        raise ValidationError({"__all__": "下级指标体系由该指标派生，不能删除。"})
    label = str(item)
    pk = item.pk
    IndicatorItem.objects.filter(pk=pk).delete()
    audit.record(
        actor=actor,
        action="assessment.item.delete",
        object_type="assessment.indicatoritem",
        object_id=str(pk),
        object_label=label,
        scope_path=indicator_set.host.path,
        changes={"name": [label, None]},
    )
    _after_change(indicator_set)


# --- Scores -----------------------------------------------------------------------------------


def _scorable(indicator_set: IndicatorSet, unit: Unit) -> None:
    if indicator_set.status != SetStatus.PUBLISHED:
        raise ValidationError({"__all__": "指标体系发布后才能评分。"})
    if not applies_to(indicator_set, unit):
        raise ValidationError({"unit": f"“{unit.name}”不是该指标体系的考核对象。"})


def _annual(indicator_set: IndicatorSet, unit: Unit) -> AnnualScore:
    annual, _created = AnnualScore.objects.select_for_update().get_or_create(
        set=indicator_set, unit=unit
    )
    return annual


def _manual_items(indicator_set: IndicatorSet, ids) -> dict[int, IndicatorItem]:
    items = {i.pk: i for i in indicator_set.items.filter(pk__in=list(ids))}
    for pk in ids:
        item = items.get(int(pk))
        if item is None:
            raise ValidationError({"items": "所评指标不属于该指标体系。"})
        if item.is_automatic:
            raise ValidationError({"items": f"“{item.name}”由系统根据已有数据自动计分，无需填报。"})
    return items


def _score_value(raw, item: IndicatorItem) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        points = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({f"item_{item.pk}": f"“{item.name}”的得分必须是数字。"}) from exc
    if not points.is_finite() or points < 0 or points > item.max_points:
        raise ValidationError(
            {f"item_{item.pk}": f"“{item.name}”的得分必须在 0 到 {item.max_points} 之间。"}
        )
    return points.quantize(Decimal("0.01"))


@transaction.atomic
def save_self_scores(
    *,
    actor,
    indicator_set: IndicatorSet,
    unit: Unit,
    entries: Mapping[int, Mapping[str, object]],
    submit: bool = False,
) -> AnnualScore:
    """The unit's own scores: ``entries`` maps item ids to ``{"points", "note"}``. ``submit``
    hands the self-assessment to the host (evidence required only if the policy says so)."""
    if not can_self_score(actor, unit):
        raise PermissionDenied("只有本单位可以填写自评。")
    _scorable(indicator_set, unit)
    annual = _annual(indicator_set, unit)
    items = _manual_items(indicator_set, [int(k) for k in entries])
    changes: dict[str, list] = {}
    for pk, entry in entries.items():
        item = items[int(pk)]
        points = _score_value(entry.get("points"), item)
        note = str(entry.get("note") or "").strip()[:2000]
        row, _ = ItemScore.objects.get_or_create(annual=annual, item=item)
        if (row.self_points, row.self_note) != (points, note):
            changes[item.code] = [
                None if row.self_points is None else str(row.self_points),
                None if points is None else str(points),
            ]
            row.self_points, row.self_note = points, note
            row.save(update_fields=["self_points", "self_note"])
    if submit:
        policy = effective_policy(indicator_set.host)
        if policy["scoring"].get("evidence_required"):
            missing = (
                ItemScore.objects.filter(annual=annual, self_points__isnull=False)
                .filter(evidence__isnull=True)
                .select_related("item")
            )
            names = [s.item.name for s in missing]
            if names:
                raise ValidationError(
                    {"evidence": f"按本级规则，自评需附佐证材料：{'、'.join(names)}。"}
                )
        annual.self_submitted_at = clock.now()
        annual.self_by = actor
        annual.save(update_fields=["self_submitted_at", "self_by", "updated_at"])
        changes["self_submitted"] = [None, True]
    if changes:
        audit.record(
            actor=actor,
            action="assessment.self_score",
            obj=annual,
            scope_path=unit.path,
            changes=changes,
        )
    return annual


@transaction.atomic
def add_self_evidence(
    *, actor, indicator_set: IndicatorSet, unit: Unit, item: IndicatorItem, upload
) -> ScoreEvidence:
    """Attach a supporting file (document or image, checked by type and content) to a self
    score. Optional by default: the rules forbid mandatory uploads."""
    if not can_self_score(actor, unit):
        raise PermissionDenied("只有本单位可以上传自评佐证材料。")
    _scorable(indicator_set, unit)
    if item.set_id != indicator_set.pk or item.is_automatic:
        raise ValidationError({"item": "该指标不需要佐证材料。"})
    _kind, content_type = check_upload(upload, kinds={"document", "image"})
    annual = _annual(indicator_set, unit)
    score, _ = ItemScore.objects.get_or_create(annual=annual, item=item)
    evidence = ScoreEvidence(
        item_score=score,
        name=(getattr(upload, "name", "") or "file")[-255:],
        size=upload.size,
        content_type=content_type,
        uploaded_by=actor,
    )
    evidence.file.save(evidence.name, upload, save=False)
    evidence.save()
    audit.record(
        actor=actor,
        action="assessment.evidence",
        obj=evidence,
        scope_path=unit.path,
        changes={"item": [None, item.code], "file": [None, evidence.name]},
    )
    return evidence


@transaction.atomic
def save_host_scores(
    *,
    actor,
    indicator_set: IndicatorSet,
    unit: Unit,
    entries: Mapping[int, Mapping[str, object]],
) -> AnnualScore:
    """The host's scores for one unit: ``entries`` maps item ids to ``{"points",
    "comment"}``. Automatic items are refused (their points are computed)."""
    if not can_set(actor, CHANGE, indicator_set):
        raise PermissionDenied("您没有权限为该指标体系评分。")
    _scorable(indicator_set, unit)
    annual = _annual(indicator_set, unit)
    items = _manual_items(indicator_set, [int(k) for k in entries])
    now = clock.now()
    changes: dict[str, list] = {}
    for pk, entry in entries.items():
        item = items[int(pk)]
        points = _score_value(entry.get("points"), item)
        comment = str(entry.get("comment") or "").strip()[:2000]
        row, _ = ItemScore.objects.get_or_create(annual=annual, item=item)
        if (row.host_points, row.host_comment) != (points, comment):
            changes[item.code] = [
                None if row.host_points is None else str(row.host_points),
                None if points is None else str(points),
            ]
            row.host_points, row.host_comment = points, comment
            row.scorer, row.scored_at = actor, now
            row.save(update_fields=["host_points", "host_comment", "scorer", "scored_at"])
    if changes:
        audit.record(
            actor=actor,
            action="assessment.host_score",
            obj=annual,
            scope_path=unit.path,
            changes=changes,
        )
    return annual


# --- Adjustments (加减分) ----------------------------------------------------------------------


@transaction.atomic
def request_adjustment(
    *, actor, indicator_set: IndicatorSet, unit: Unit, kind: str, points, reason: str
) -> Adjustment:
    """Propose a bonus or deduction for a unit; it counts once someone else approves it."""
    if not can_set(actor, CHANGE, indicator_set):
        raise PermissionDenied("您没有权限提出加减分。")
    _scorable(indicator_set, unit)
    if kind not in AdjustmentKind.values:
        raise ValidationError({"kind": "类型只能是加分或减分。"})
    points = _clean_points(points, field="points", maximum=Decimal("100"))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": "请写明加减分的理由（至少 4 个字）。"})
    annual = _annual(indicator_set, unit)
    adjustment = Adjustment.objects.create(
        annual=annual,
        kind=kind,
        points=points,
        reason=reason[:2000],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="assessment.adjustment.request",
        obj=adjustment,
        scope_path=unit.path,
        changes={"kind": [None, kind], "points": [None, str(points)], "reason": [None, reason]},
    )
    return adjustment


@transaction.atomic
def decide_adjustment(
    *, actor, adjustment: Adjustment, approve: bool, note: str = ""
) -> Adjustment:
    """Approve or reject a pending adjustment; the approver is never the requester."""
    adjustment = (
        Adjustment.objects.select_for_update()
        .select_related("annual__set__host", "annual__unit")
        .get(pk=adjustment.pk)
    )
    if adjustment.requested_by_id == getattr(actor, "pk", None):
        raise ValidationError({"approver": "加减分须由提出人以外的人审批。"})
    if not can_approve(actor, adjustment):
        raise PermissionDenied("您没有权限审批加减分。")
    note = (note or "").strip()

    def prepare(adjustment: Adjustment, move: Transition) -> None:
        adjustment.approver = actor
        adjustment.decided_at = clock.now()
        adjustment.decision_note = note[:2000]

    return transitions.apply(
        ADJUSTMENT,
        actor=actor,
        obj=adjustment,
        to=AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REJECTED,
        reason=note,
        audit_note="",
        prepare=prepare,
        update_fields=["approver", "decided_at", "decision_note"],
        changes={"note": [None, note]},
        locked=True,
    )
