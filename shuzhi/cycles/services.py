"""Every change to an annual round goes through these functions.

Keyword-only arguments, an explicit ``actor``, a policy check (``round.change`` on the host),
validation with Chinese messages per field, one transaction and an audit entry in it. A failed
call leaves the database as it was.

Reporters are units in the host's subtree (never the host itself). Each reporter's person is the
unit's secretary on the round's first session date — or on today while no session is set —
read from posts; an organiser may put another person in.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from shuzhi.core import audit, transitions
from shuzhi.orgs.imports.tabular import RowError, Table, TabularError, require_columns
from shuzhi.orgs.people import policies as people_policies
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.tree import policies as org_policies
from shuzhi.orgs.tree.models import Unit, UnitStatus, UnitType

from . import policy
from .models import Round, RoundReporter, RoundStatus
from .policies import can_round
from .transitions import ROUND

POLICY_FIELDS = (
    "title",
    "scale",
    "categories",
    "sub_items",
    "quotas",
    "quorum_ratio",
    "close_turnout",
    "min_ballots",
    "live_rotation_years",
    "report_topics",
    "report_checks",
    "report_due",
)
TITLE_MAX_LENGTH = 200
FIRST_YEAR, LAST_YEAR = 2014, 2100

# "Not given" for arguments where ``None`` has a meaning of its own (clear the report deadline).
_UNSET: Any = object()


def require_change(actor, round: Round) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may change ``round``."""
    if not can_round(actor, "round.change", round):
        raise PermissionDenied("您没有权限修改该年度述职评议。")


def _clean_title(title: str) -> str:
    text = (title or "").strip()
    if not text:
        raise ValidationError({"title": "名称不能为空。"})
    if len(text) > TITLE_MAX_LENGTH:
        raise ValidationError({"title": f"名称不能超过 {TITLE_MAX_LENGTH} 个字符。"})
    return text


def default_title(host: Unit, year: int) -> str:
    return f"{host.name}{year}年度抓基层党建工作述职评议考核"


@transaction.atomic
def create_round(*, actor, host: Unit, year: int, title: str = "") -> Round:
    """Create the round of ``host`` for ``year`` with the default policies."""
    if not org_policies.can(actor, "round.change", host):
        raise PermissionDenied("您没有权限为该组织创建年度述职评议。")
    if not host.is_active:
        raise ValidationError({"host": "已合并或已撤销的组织不能主办述职评议。"})
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": f"年度必须在 {FIRST_YEAR} 到 {LAST_YEAR} 之间。"})
    if Round.objects.filter(host=host, year=year).exists():
        raise ValidationError({"year": f"“{host.name}”已有 {year} 年度的述职评议。"})
    round = Round.objects.create(
        host=host,
        year=year,
        title=_clean_title(title or default_title(host, year)),
        # The usual five, or the site's floor where that is higher.
        min_ballots=max(5, settings.SHUZHI_BALLOT_MIN_FLOOR),
    )
    audit.record(
        actor=actor,
        action="round.create",
        obj=round,
        scope_path=host.path,
        changes={"host": [None, host.name], "year": [None, year], "title": [None, round.title]},
    )
    return round


def _clean_ratio(value) -> Decimal:
    try:
        ratio = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"quorum_ratio": "到会比例必须是数字，如 0.5。"}) from exc
    if not Decimal("0") <= ratio < Decimal("1"):
        raise ValidationError(
            {"quorum_ratio": "到会比例必须不小于 0 且小于 1（如 0.5 即过半数）。"}
        )
    return ratio.quantize(Decimal("0.001"))


def _clean_close_turnout(value: Any) -> Decimal | None:
    """结束投票的投票率下限: a share from 0 (no requirement) to 1, or None for the default."""
    if value is None or value == "":
        return None
    try:
        ratio = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"close_turnout": "投票率下限必须是数字，如 0.667。"}) from exc
    if not ratio.is_finite() or not Decimal("0") <= ratio <= Decimal("1"):
        raise ValidationError(
            {"close_turnout": "投票率下限必须在 0 到 1 之间（如 0.667 即三分之二，0 即不作要求）。"}
        )
    return ratio.quantize(Decimal("0.001"))


def _clean_min_ballots(value: Any) -> int:
    """结果显示最少票数: from the site's floor (a lone voter's category stays hidden) to 1000."""
    floor = settings.SHUZHI_BALLOT_MIN_FLOOR
    if not isinstance(value, int) or isinstance(value, bool) or value > 1000:
        raise ValidationError({"min_ballots": f"结果显示最少票数必须在 {floor} 到 1000 之间。"})
    if value < floor:
        raise ValidationError(
            {
                "min_ballots": f"结果显示最少票数不能少于 {floor}：票数太少时，"
                "别人能从结果中认出个别人的投票。"
            }
        )
    return value


@transaction.atomic
def update_round(
    *,
    actor,
    round: Round,
    title: str | None = None,
    scale: list[dict] | None = None,
    categories: list[dict] | None = None,
    sub_items: list[dict] | None = None,
    quotas: dict | None = None,
    quorum_ratio: Decimal | str | None = None,
    close_turnout: Decimal | str | None = _UNSET,
    min_ballots: int | None = None,
    live_rotation_years: int | None = None,
    report_topics: list[dict] | None = None,
    report_checks: dict | None = None,
    report_due: datetime.date | None = _UNSET,
) -> Round:
    """Change a round's name and policies; the whole set is validated together.

    ``report_topics``, ``report_checks`` and ``report_due`` are the year's report requirements
    (必答题, quality thresholds, deadline); ``report_due=None`` clears the deadline.
    ``close_turnout=None`` goes back to the site's default share for closing a ballot.
    """
    require_change(actor, round)
    round = Round.objects.select_for_update().select_related("host").get(pk=round.pk)
    if round.status == RoundStatus.CLOSED:
        raise ValidationError({"__all__": "该年度述职评议已结束，不能再修改。"})
    before = audit.snapshot(round, POLICY_FIELDS)
    if title is not None:
        round.title = _clean_title(title)
    if scale is not None:
        round.scale = scale
    if categories is not None:
        round.categories = categories
    if sub_items is not None:
        round.sub_items = sub_items
    if quotas is not None:
        round.quotas = quotas
    if quorum_ratio is not None:
        round.quorum_ratio = _clean_ratio(quorum_ratio)
    if close_turnout is not _UNSET:
        round.close_turnout = _clean_close_turnout(close_turnout)
    if min_ballots is not None:
        round.min_ballots = _clean_min_ballots(min_ballots)
    if live_rotation_years is not None:
        if not isinstance(live_rotation_years, int) or not 1 <= live_rotation_years <= 10:
            raise ValidationError({"live_rotation_years": "轮换年限必须在 1 到 10 年之间。"})
        round.live_rotation_years = live_rotation_years
    if report_topics is not None:
        policy.validate_report_topics(report_topics)
        round.report_topics = [
            {
                "code": str(t["code"]).strip(),
                "title": str(t["title"]).strip(),
                "hint": str(t.get("hint") or "").strip(),
            }
            for t in report_topics
        ]
    if report_checks is not None:
        policy.validate_report_checks(report_checks)
        round.report_checks = report_checks
    if report_due is not _UNSET:
        policy.validate_report_due(report_due, round.year)
        round.report_due = report_due
    policy.validate_scale(round.scale)
    policy.validate_categories(round.categories)
    policy.validate_category_labels(round.categories)
    policy.validate_sub_items(round.sub_items)
    policy.validate_quotas(round.quotas, round.scale)
    changes = audit.diff(before, round)
    if changes:
        round.save()
        audit.record(
            actor=actor,
            action="round.update",
            obj=round,
            scope_path=round.host.path,
            changes=changes,
        )
    return round


@transaction.atomic
def transition_round(*, actor, round: Round, status: str) -> Round:
    """Move the round along :data:`transitions.ROUND` (through the one engine)."""
    require_change(actor, round)
    return transitions.apply(ROUND, actor=actor, obj=round, to=status)


# --- Reporters --------------------------------------------------------------------------------


def resolution_date(round: Round) -> datetime.date:
    """The date reporters are resolved on: the first session's date, or today."""
    first = round.sessions.aggregate(first=Min("date"))["first"]
    return first or timezone.localdate()


def secretaries_on(units: Sequence[Unit], date: datetime.date) -> dict[int, Person]:
    """The secretary of each unit on ``date`` (units without one are absent), in one query."""
    found: dict[int, Person] = {}
    posts = (
        Post.objects.filter(unit__in=[u.pk for u in units], role=PostRole.SECRETARY)
        .on(date)
        .select_related("person")
        .order_by("unit_id", "-start_date", "-id")
    )
    for post in posts:
        found.setdefault(post.unit_id, post.person)
    return found


def _check_reporter_unit(round: Round, unit: Unit) -> str | None:
    """Why ``unit`` cannot report in ``round`` (or None when it can)."""
    if unit.pk == round.host_id:
        return f"“{unit.name}”是主办组织本身，不能作为述职单位。"
    if not unit.path.startswith(round.host.path):
        return f"“{unit.name}”（{unit.code}）不在“{round.host.name}”的下级范围内。"
    if unit.status != UnitStatus.ACTIVE:
        return f"“{unit.name}”（{unit.code}）已合并或已撤销。"
    return None


def _add_units(*, actor, round: Round, units: Sequence[Unit], how: str) -> list[RoundReporter]:
    """Add ``units`` (already checked) that are not yet reporters; resolve their people."""
    existing = set(round.reporters.values_list("unit_id", flat=True))
    fresh = [u for u in units if u.pk not in existing]
    if not fresh:
        return []
    people = secretaries_on(fresh, resolution_date(round))
    start = (round.reporters.aggregate(m=Max("sort_order"))["m"] or 0) + 10
    created = RoundReporter.objects.bulk_create(
        [
            RoundReporter(
                round=round, unit=unit, person=people.get(unit.pk), sort_order=start + i * 10
            )
            for i, unit in enumerate(fresh)
        ]
    )
    audit.record(
        actor=actor,
        action="round.reporters.add",
        obj=round,
        scope_path=round.host.path,
        changes={"reporters": [None, [u.code for u in fresh]]},
        note=f"{how}：新增述职单位 {len(fresh)} 个",
    )
    return created


def _locked(round: Round) -> Round:
    round = Round.objects.select_for_update().select_related("host").get(pk=round.pk)
    if round.status == RoundStatus.CLOSED:
        raise ValidationError({"__all__": "该年度述职评议已结束，不能再修改。"})
    return round


def _split_codes(codes: Iterable[str] | str) -> list[str]:
    if isinstance(codes, str):
        codes = codes.replace("，", ",").replace(",", "\n").split()
    return [c.strip() for c in codes if c and c.strip()]


@transaction.atomic
def add_reporters_by_codes(
    *, actor, round: Round, codes: Iterable[str] | str
) -> list[RoundReporter]:
    """Add the units with these codes. Every bad code is reported; nothing partial is added."""
    require_change(actor, round)
    round = _locked(round)
    wanted = _split_codes(codes)
    if not wanted:
        raise ValidationError({"codes": "请填写至少一个组织代码。"})
    units = {u.code: u for u in Unit.objects.filter(code__in=wanted)}
    problems: list[str] = []
    seen: set[str] = set()
    for code in wanted:
        if code in seen:
            problems.append(f"组织代码“{code}”重复。")
            continue
        seen.add(code)
        unit = units.get(code)
        if unit is None:
            problems.append(f"找不到组织代码“{code}”。")
            continue
        reason = _check_reporter_unit(round, unit)
        if reason:
            problems.append(reason)
    if problems:
        raise ValidationError({"codes": problems})
    ordered = sorted({units[c].pk: units[c] for c in wanted}.values(), key=_unit_key)
    return _add_units(actor=actor, round=round, units=ordered, how="按代码添加")


def _unit_key(unit: Unit) -> tuple:
    return (unit.path.count("/"), unit.sort_order, unit.code)


@transaction.atomic
def add_reporters_by_type(
    *, actor, round: Round, type: UnitType, direct_only: bool = True
) -> list[RoundReporter]:
    """Add every active unit of ``type`` below the host (only its direct children by default)."""
    require_change(actor, round)
    round = _locked(round)
    units = Unit.objects.active().filter(type=type).subtree_of(round.host, include_self=False)
    if direct_only:
        units = units.filter(parent=round.host)
    found = sorted(units, key=_unit_key)
    if not found:
        where = "直属下级" if direct_only else "下级"
        raise ValidationError(
            {"type": f"“{round.host.name}”的{where}中没有“{type.name}”类型的组织。"}
        )
    return _add_units(actor=actor, round=round, units=found, how=f"按类型“{type.name}”添加")


def reporter_rows(round: Round, table: Table) -> tuple[list[Unit], list[RowError]]:
    """Check the rows of a reporters file (column ``code``, or ``组织代码``)."""
    column = "code" if "code" in table.header else "组织代码"
    if column not in table.header:
        require_columns(table, ["code"])
    codes = [row.get(column, "").strip() for _n, row in table.rows]
    units = {u.code: u for u in Unit.objects.filter(code__in=[c for c in codes if c])}
    errors: list[RowError] = []
    found: list[Unit] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        code = row.get(column, "").strip()
        if not code:
            errors.append(RowError(number, column, "组织代码为空。"))
            continue
        if code in seen:
            errors.append(RowError(number, column, f"组织代码“{code}”与第 {seen[code]} 行重复。"))
            continue
        seen[code] = number
        unit = units.get(code)
        if unit is None:
            errors.append(RowError(number, column, f"找不到组织代码“{code}”。"))
            continue
        reason = _check_reporter_unit(round, unit)
        if reason:
            errors.append(RowError(number, column, reason))
            continue
        found.append(unit)
    return found, errors


@transaction.atomic
def import_reporters(
    *, actor, round: Round, table: Table
) -> tuple[list[RoundReporter], list[RowError]]:
    """Add the units listed in a file. Any bad row means nothing is added; every bad row is
    returned with its row number."""
    require_change(actor, round)
    round = _locked(round)
    if not table.rows:
        raise TabularError("文件中没有数据行。")
    units, errors = reporter_rows(round, table)
    if errors:
        return [], errors
    return _add_units(actor=actor, round=round, units=units, how="从文件导入"), []


@transaction.atomic
def remove_reporter(*, actor, reporter: RoundReporter) -> None:
    """Take a unit off the round; refused while it is on a session's agenda."""
    round = reporter.round
    require_change(actor, round)
    _locked(round)
    if reporter.session_entries.exists():
        raise ValidationError(
            {"__all__": f"“{reporter.unit.name}”已列入会议议程，请先从会议中移除。"}
        )
    code, label = reporter.unit.code, str(reporter)
    reporter.delete()
    audit.record(
        actor=actor,
        action="round.reporters.remove",
        obj=round,
        scope_path=round.host.path,
        changes={"reporters": [[code], None]},
        note=f"移除述职单位：{label}",
    )


@transaction.atomic
def set_reporter_person(*, actor, reporter: RoundReporter, person: Person | None) -> RoundReporter:
    """Put another person in as the unit's reporter (or clear it)."""
    round = reporter.round
    require_change(actor, round)
    _locked(round)
    if (
        person is not None
        and not people_policies.people_visible_to(actor).filter(pk=person.pk).exists()
    ):
        raise ValidationError({"person": "找不到该人员，或您无权查看。"})
    before = audit.snapshot(reporter, ("person",))
    reporter.person = person
    reporter.save(update_fields=["person"])
    audit.record(
        actor=actor,
        action="round.reporter.person",
        obj=reporter,
        scope_path=round.host.path,
        changes=audit.diff(before, reporter),
    )
    return reporter


@transaction.atomic
def refresh_reporter_people(*, actor, round: Round) -> int:
    """Resolve every reporter's person again from posts on :func:`resolution_date`.

    Returns how many changed. Manual choices are overwritten: the organiser asked for it.
    """
    require_change(actor, round)
    round = _locked(round)
    reporters = list(round.reporters.select_related("unit", "person"))
    date = resolution_date(round)
    people = secretaries_on([r.unit for r in reporters], date)
    changed = []
    for reporter in reporters:
        person = people.get(reporter.unit_id)
        if reporter.person_id != (person.pk if person else None):
            changed.append([reporter.unit.code, str(reporter.person or ""), str(person or "")])
            reporter.person = person
    RoundReporter.objects.bulk_update(
        [r for r in reporters if any(c[0] == r.unit.code for c in changed)], ["person"]
    )
    if changed:
        audit.record(
            actor=actor,
            action="round.reporters.refresh",
            obj=round,
            scope_path=round.host.path,
            changes={"people": changed},
            note=f"按 {date.isoformat()} 的任职重新确定述职人",
        )
    return len(changed)
