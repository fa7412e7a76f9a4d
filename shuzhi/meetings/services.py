"""Every change to a review meeting goes through these functions.

Keyword-only arguments, an explicit ``actor``, the ``round.change`` policy on the round's host,
Chinese validation messages per field, one transaction and an audit entry in it.

The session status moves only along :data:`transitions.SESSION`, through the one engine
(:func:`shuzhi.core.transitions.apply`) in :func:`transition_session`.
Rounds run top-down: :func:`create_session` refuses a date unless the parent's round (when it
lists this host as a reporter) has already heard this host in a closed or published session on
an earlier day — or an organiser gives a reason, recorded on the round and in the audit trail.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuzhi.core import audit, transitions
from shuzhi.cycles.models import Round, RoundReporter, RoundStatus
from shuzhi.cycles.services import require_change, transition_round
from shuzhi.orgs.imports.tabular import RowError, Table, TabularError

from . import draw
from .models import (
    LiveDrawMethod,
    ReportMode,
    RosterCategory,
    RosterMember,
    Session,
    SessionReporter,
    SessionStatus,
)
from .policies import can_session
from .transitions import SESSION

S = SessionStatus
HEARD_STATUSES = (S.CLOSED, S.PUBLISHED)
# The agenda and roster can still change during the meeting, not after it.
OPEN_STATUSES = (S.PLANNED, S.IN_PROGRESS)
TITLE_MAX_LENGTH = 200
PLACE_MAX_LENGTH = 200
NAME_MAX_LENGTH = 50


def _require(actor, session: Session) -> None:
    if not can_session(actor, "round.change", session):
        raise PermissionDenied("您没有权限管理该会议。")


def _status_label(status: str) -> str:
    try:
        return str(SessionStatus(status).label)
    except ValueError:
        return status


def _scope(session: Session) -> str:
    return session.round.host.path


def _locked(session: Session, allowed: Sequence[str] = OPEN_STATUSES) -> Session:
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("round", "round__host")
        .get(pk=session.pk)
    )
    if session.status not in allowed:
        raise ValidationError(
            {"__all__": f"会议当前状态为“{_status_label(session.status)}”，不能进行此操作。"}
        )
    return session


def _clean_text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"{label}不能为空。"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过 {max_length} 个字符。"})
    return text


# --- Top-down rule ----------------------------------------------------------------------------


def top_down_block(round: Round, date: datetime.date) -> str | None:
    """Why a session of ``round`` on ``date`` would break the top-down order (None when fine).

    The parent unit's round of the same year binds only when it lists this host as a reporter;
    then one of its sessions must hear the host, be closed or published, and be earlier.
    """
    host = round.host
    if host.parent_id is None:
        return None
    parent_round = (
        Round.objects.filter(host_id=host.parent_id, year=round.year).select_related("host").first()
    )
    if parent_round is None or not parent_round.reporters.filter(unit_id=host.pk).exists():
        return None
    heard = SessionReporter.objects.filter(
        session__round=parent_round,
        reporter__unit_id=host.pk,
        session__status__in=HEARD_STATUSES,
        session__date__lt=date,
    ).exists()
    if heard:
        return None
    return (
        f"述职评议须自上而下进行：“{parent_round.host.name}”{round.year} 年度听取“{host.name}”"
        f"述职的会议尚未结束（须在 {date.isoformat()} 之前召开并已结束或已公布）。"
        "请待上级会议结束后再安排，或填写提前安排的理由。"
    )


def _check_schedule(*, actor, round: Round, date: datetime.date, override_reason: str) -> None:
    """Apply the top-down rule; an override reason is stored on the round and audited."""
    block = top_down_block(round, date)
    if block is None:
        return
    reason = (override_reason or "").strip()
    if not reason:
        raise ValidationError({"date": block})
    before = round.schedule_override_reason
    round.schedule_override_reason = reason
    round.save(update_fields=["schedule_override_reason", "updated_at"])
    audit.record(
        actor=actor,
        action="round.schedule_override",
        obj=round,
        scope_path=round.host.path,
        changes={"schedule_override_reason": [before, reason]},
        note=f"会议日期 {date.isoformat()} 早于上级会议：{block}",
    )


def _check_date(round: Round, date: datetime.date) -> None:
    if not isinstance(date, datetime.date):
        raise ValidationError({"date": "请填写会议日期。"})
    if date.year not in (round.year, round.year + 1):
        raise ValidationError(
            {"date": f"{round.year} 年度的会议日期应在 {round.year} 年或 {round.year + 1} 年内。"}
        )


# --- Sessions ---------------------------------------------------------------------------------


@transaction.atomic
def create_session(
    *,
    actor,
    round: Round,
    title: str,
    date: datetime.date,
    place: str = "",
    override_reason: str = "",
) -> Session:
    """Schedule a session of ``round`` (status planned), obeying the top-down rule."""
    require_change(actor, round)
    round = Round.objects.select_for_update().select_related("host").get(pk=round.pk)
    if round.status == RoundStatus.CLOSED:
        raise ValidationError({"__all__": "该年度述职评议已结束，不能再安排会议。"})
    title = _clean_text(
        title, field="title", label="会议名称", max_length=TITLE_MAX_LENGTH, required=True
    )
    place = _clean_text(
        place, field="place", label="地点", max_length=PLACE_MAX_LENGTH, required=False
    )
    _check_date(round, date)
    _check_schedule(actor=actor, round=round, date=date, override_reason=override_reason)
    session = Session.objects.create(round=round, title=title, date=date, place=place)
    audit.record(
        actor=actor,
        action="session.create",
        obj=session,
        scope_path=round.host.path,
        changes={"title": [None, title], "date": [None, date.isoformat()], "place": [None, place]},
    )
    return session


@transaction.atomic
def update_session(
    *,
    actor,
    session: Session,
    title: str | None = None,
    date: datetime.date | None = None,
    place: str | None = None,
    override_reason: str = "",
) -> Session:
    """Change a planned session's name, date or place (a new date meets the top-down rule)."""
    _require(actor, session)
    session = _locked(session, (S.PLANNED,))
    before = audit.snapshot(session, ("title", "date", "place"))
    if title is not None:
        session.title = _clean_text(
            title, field="title", label="会议名称", max_length=TITLE_MAX_LENGTH, required=True
        )
    if place is not None:
        session.place = _clean_text(
            place, field="place", label="地点", max_length=PLACE_MAX_LENGTH, required=False
        )
    if date is not None and date != session.date:
        _check_date(session.round, date)
        _check_schedule(
            actor=actor, round=session.round, date=date, override_reason=override_reason
        )
        session.date = date
    changes = audit.diff(before, session)
    if changes:
        session.save()
        audit.record(
            actor=actor,
            action="session.update",
            obj=session,
            scope_path=_scope(session),
            changes=changes,
        )
    return session


def allowed_transitions(status: str) -> list[str]:
    """The statuses a session in ``status`` may move to."""
    return SESSION.targets(status)


@transaction.atomic
def transition_session(
    *, actor, session: Session, status: str, confirm_date: bool | None = None
) -> Session:
    """Move the session along :data:`transitions.SESSION`; anything else is refused.

    Starting a session held on another day than planned is refused unless the person confirms
    the date (``confirm_date=True``), which then becomes the session's date; ``None`` is for
    callers that start a session on their own (the ballots app when the first formal ballot
    opens, the demo's history) and asks nothing. The first session to start moves its round
    from 筹备中 to 进行中.

    Also called by the ballots app: the first formal ballot of a planned session starts it."""
    _require(actor, session)
    held_on = None
    if status == S.IN_PROGRESS and confirm_date is not None:
        held_on = _check_held_on(session, confirm_date)
    session = transitions.apply(SESSION, actor=actor, obj=session, to=status)
    if held_on is not None:
        planned = session.date
        session.date = held_on
        session.save(update_fields=["date"])
        audit.record(
            actor=actor,
            action="session.date_confirm",
            obj=session,
            scope_path=_scope(session),
            changes={"date": [planned.isoformat(), held_on.isoformat()]},
            note="会议未按计划日期召开，已确认实际日期",
        )
    if status == S.IN_PROGRESS:
        _start_round(actor, session)
    if status == S.CLOSED:
        # Nobody is left speaking in a closed meeting.
        session.reporters.filter(started_at__isnull=False, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
    return session


def _check_held_on(session: Session, confirmed: bool) -> datetime.date | None:
    """The guard on the date a session starts: the new date when confirmed, None when the
    session runs as planned; refused with the reason when the day differs unconfirmed."""
    today = timezone.localdate()
    if session.date == today:
        return None
    if not confirmed:
        raise ValidationError(
            {
                "date": f"本次会议计划于 {session.date:%Y-%m-%d} 召开，今天是 {today:%Y-%m-%d}。"
                "如确在今天召开，请勾选“确认今天召开”，会议日期将改为今天；否则请按计划日期开始会议。"
            }
        )
    return today


def _start_round(actor, session: Session) -> None:
    """The round is 进行中 from the moment its first session starts (through the cycles
    service: an app moves another app's statuses only through that app's services)."""
    rnd = Round.objects.select_for_update().get(pk=session.round_id)
    if rnd.status == RoundStatus.DRAFT:
        transition_round(actor=actor, round=rnd, status=RoundStatus.ACTIVE)


# --- Agenda -----------------------------------------------------------------------------------


@transaction.atomic
def add_session_reporters(
    *, actor, session: Session, reporters: Sequence[RoundReporter] | None = None
) -> list[SessionReporter]:
    """Put round reporters on the agenda (all not yet on it when ``reporters`` is None)."""
    _require(actor, session)
    session = _locked(session)
    chosen = list(
        session.round.reporters.select_related("unit").order_by("sort_order", "id")
        if reporters is None
        else reporters
    )
    if any(r.round_id != session.round_id for r in chosen):
        raise ValidationError({"reporters": "只能添加本年度述职评议中的述职对象。"})
    present = set(session.reporters.values_list("reporter_id", flat=True))
    fresh = [r for r in chosen if r.pk not in present]
    if not fresh:
        return []
    start = (session.reporters.aggregate(m=Max("position"))["m"] or 0) + 1
    created = SessionReporter.objects.bulk_create(
        [
            SessionReporter(session=session, reporter=r, position=start + i)
            for i, r in enumerate(fresh)
        ]
    )
    audit.record(
        actor=actor,
        action="session.reporters.add",
        obj=session,
        scope_path=_scope(session),
        changes={"reporters": [None, [r.unit.code for r in fresh]]},
    )
    return created


@transaction.atomic
def remove_session_reporter(*, actor, entry: SessionReporter) -> None:
    """Take a reporter off the agenda (before the meeting only)."""
    session = entry.session
    _require(actor, session)
    session = _locked(session, (S.PLANNED,))
    code = entry.reporter.unit.code
    entry.delete()
    _renumber(session)
    audit.record(
        actor=actor,
        action="session.reporters.remove",
        obj=session,
        scope_path=_scope(session),
        changes={"reporters": [[code], None]},
    )


def _renumber(session: Session, order: Sequence[int] | None = None) -> list[SessionReporter]:
    entries = list(session.reporters.select_related("reporter__unit").order_by("position", "id"))
    if order is not None:
        by_id = {e.pk: e for e in entries}
        entries = [by_id[pk] for pk in order]
    for position, entry in enumerate(entries, start=1):
        entry.position = position
    SessionReporter.objects.bulk_update(entries, ["position"])
    return entries


@transaction.atomic
def reorder_session_reporters(
    *, actor, session: Session, order: Sequence[int]
) -> list[SessionReporter]:
    """Set the speaking order: ``order`` lists every agenda entry id exactly once."""
    _require(actor, session)
    session = _locked(session)
    current = set(session.reporters.values_list("pk", flat=True))
    if len(order) != len(set(order)) or set(order) != current:
        raise ValidationError({"order": "顺序必须列出本次会议的每一位述职人，且每位只出现一次。"})
    before = list(
        session.reporters.order_by("position", "id").values_list("reporter__unit__code", flat=True)
    )
    entries = _renumber(session, order)
    after = [e.reporter.unit.code for e in entries]
    if before != after:
        audit.record(
            actor=actor,
            action="session.reporters.order",
            obj=session,
            scope_path=_scope(session),
            changes={"order": [before, after]},
        )
    return entries


def move_session_reporter(*, actor, entry: SessionReporter, offset: int) -> list[SessionReporter]:
    """Move one entry up (``-1``) or down (``+1``) in the speaking order."""
    ids = list(entry.session.reporters.order_by("position", "id").values_list("pk", flat=True))
    index = ids.index(entry.pk)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return reorder_session_reporters(actor=actor, session=entry.session, order=ids)


@transaction.atomic
def set_report_mode(*, actor, entry: SessionReporter, mode: str) -> SessionReporter:
    """Make one reporter report live or in writing (chosen by hand)."""
    session = entry.session
    _require(actor, session)
    session = _locked(session)
    if mode not in ReportMode.values:
        raise ValidationError({"mode": "述职方式只能是现场述职或书面述职。"})
    entry = SessionReporter.objects.select_related("reporter__unit").get(pk=entry.pk)
    if entry.mode == mode:
        return entry
    if entry.started_at is not None:
        raise ValidationError({"mode": "该述职人已开始述职，不能再改变述职方式。"})
    old = entry.mode
    entry.mode = mode
    entry.save(update_fields=["mode"])
    if session.live_draw_method != LiveDrawMethod.MANUAL:
        # A hand change after a draw makes the draw no longer the record of the choice.
        session.live_draw_method = LiveDrawMethod.MANUAL
        session.save(update_fields=["live_draw_method", "updated_at"])
    audit.record(
        actor=actor,
        action="session.reporter.mode",
        obj=session,
        scope_path=_scope(session),
        changes={"mode": [old, mode]},
        note=f"{entry.reporter.unit.name}",
    )
    return entry


def rotation_overdue(session: Session, codes: Sequence[str]) -> list[str]:
    """The codes among ``codes`` that did not report live in the earlier years of the window."""
    first, last = draw.rotation_window(session.round.year, session.round.live_rotation_years)
    if last < first:
        return sorted(codes)
    live = set(
        SessionReporter.objects.filter(
            mode=ReportMode.LIVE,
            session__round__year__gte=first,
            session__round__year__lte=last,
            reporter__unit__code__in=list(codes),
        ).values_list("reporter__unit__code", flat=True)
    )
    return sorted(c for c in codes if c not in live)


def compute_draw(session: Session, codes: Sequence[str]) -> list[str]:
    """The live codes a recorded random or rotation draw gives (used to draw and to replay)."""
    if session.live_draw_method == LiveDrawMethod.RANDOM:
        return draw.random_draw(codes, session.live_count, session.live_draw_seed)
    if session.live_draw_method == LiveDrawMethod.ROTATION:
        overdue = rotation_overdue(session, codes)
        return draw.rotation_draw(codes, overdue, session.live_count, session.live_draw_seed)
    raise ValueError("manual choices cannot be replayed")


@transaction.atomic
def draw_live(
    *,
    actor,
    session: Session,
    method: str,
    live_count: int | None = None,
    chosen: Sequence[int] | None = None,
    seed: str | None = None,
) -> list[SessionReporter]:
    """Choose who reports live: by hand (``chosen`` agenda entry ids), at random or by rotation.

    Random and rotation draws record a fresh seed from :mod:`secrets` (``seed`` is for
    reproducible demo data and tests), so anyone can replay the draw.
    Returns the live entries.
    """
    _require(actor, session)
    session = _locked(session, (S.PLANNED,))
    entries = list(session.reporters.select_related("reporter__unit").order_by("position", "id"))
    if not entries:
        raise ValidationError({"__all__": "会议议程中还没有述职人，请先添加。"})
    by_code = {e.reporter.unit.code: e for e in entries}
    if method == LiveDrawMethod.MANUAL:
        picked_ids = set(chosen or [])
        unknown = picked_ids - {e.pk for e in entries}
        if unknown:
            raise ValidationError({"chosen": "所选述职人不在本次会议议程中。"})
        live = [e for e in entries if e.pk in picked_ids]
        session.live_draw_seed = ""
        session.live_count = len(live)
    elif method in (LiveDrawMethod.RANDOM, LiveDrawMethod.ROTATION):
        if live_count is None or not isinstance(live_count, int) or live_count < 0:
            raise ValidationError({"live_count": "请填写现场述职人数（不小于 0 的整数）。"})
        if live_count > len(entries):
            raise ValidationError(
                {"live_count": f"现场述职人数不能超过议程中的述职人数（{len(entries)} 人）。"}
            )
        session.live_draw_seed = (seed or "").strip() or draw.new_seed()
        session.live_count = live_count
        session.live_draw_method = method
        codes = compute_draw(session, list(by_code))
        live = [by_code[c] for c in codes]
    else:
        raise ValidationError({"method": "确定方式只能是人工指定、随机抽取或轮换。"})
    session.live_draw_method = method
    if any(e.started_at is not None for e in entries):
        raise ValidationError({"__all__": "已有述职人开始述职，不能重新确定现场述职人。"})
    live_ids = {e.pk for e in live}
    for entry in entries:
        entry.mode = ReportMode.LIVE if entry.pk in live_ids else ReportMode.WRITTEN
    SessionReporter.objects.bulk_update(entries, ["mode"])
    session.save(update_fields=["live_draw_method", "live_draw_seed", "live_count", "updated_at"])
    audit.record(
        actor=actor,
        action="session.draw",
        obj=session,
        scope_path=_scope(session),
        changes={
            "live_draw_method": [None, method],
            "live": [None, sorted(e.reporter.unit.code for e in live)],
        },
        note=f"种子 {session.live_draw_seed}" if session.live_draw_seed else "人工指定",
    )
    return live


# --- Speakers ---------------------------------------------------------------------------------


@transaction.atomic
def start_speaker(*, actor, entry: SessionReporter) -> SessionReporter:
    """The chair gives the floor to a live reporter; whoever was speaking is finished."""
    _require(actor, entry.session)
    session = _locked(entry.session, (S.IN_PROGRESS,))
    entry = SessionReporter.objects.select_related("reporter__unit").get(pk=entry.pk)
    if entry.mode != ReportMode.LIVE:
        raise ValidationError({"__all__": "书面述职的述职人不在会上发言。"})
    if entry.started_at is not None:
        raise ValidationError({"__all__": f"“{entry.reporter.unit.name}”已经开始过述职。"})
    now = timezone.now()
    session.reporters.filter(started_at__isnull=False, ended_at__isnull=True).update(ended_at=now)
    entry.started_at = now
    entry.save(update_fields=["started_at"])
    audit.record(
        actor=actor,
        action="session.speaker.start",
        obj=session,
        scope_path=_scope(session),
        note=f"{entry.position}. {entry.reporter.unit.name} 开始述职",
    )
    return entry


@transaction.atomic
def finish_speaker(*, actor, entry: SessionReporter) -> SessionReporter:
    """The chair ends the current report."""
    _require(actor, entry.session)
    session = _locked(entry.session, (S.IN_PROGRESS,))
    entry = SessionReporter.objects.select_related("reporter__unit").get(pk=entry.pk)
    if entry.started_at is None or entry.ended_at is not None:
        raise ValidationError({"__all__": f"“{entry.reporter.unit.name}”当前不在述职。"})
    entry.ended_at = timezone.now()
    entry.save(update_fields=["ended_at"])
    audit.record(
        actor=actor,
        action="session.speaker.finish",
        obj=session,
        scope_path=_scope(session),
        note=f"{entry.position}. {entry.reporter.unit.name} 述职结束",
    )
    return entry


# --- Roster -----------------------------------------------------------------------------------


@transaction.atomic
def init_roster(*, actor, session: Session) -> list[RosterCategory]:
    """Create (or bring up to date) the roster categories from the round's categories."""
    _require(actor, session)
    session = _locked(session)
    existing = {c.code: c for c in session.categories.all()}
    created, updated = [], []
    for order, item in enumerate(session.round.categories, start=1):
        weight = Decimal(str(item.get("weight", "0")))
        category = existing.get(item["code"])
        if category is None:
            created.append(
                RosterCategory(
                    session=session,
                    code=item["code"],
                    label=item.get("label", item["code"]),
                    weight=weight,
                    sort_order=order,
                )
            )
        elif (category.label, category.weight, category.sort_order) != (
            item.get("label"),
            weight,
            order,
        ):
            category.label, category.weight, category.sort_order = item.get("label"), weight, order
            updated.append(category)
    RosterCategory.objects.bulk_create(created)
    RosterCategory.objects.bulk_update(updated, ["label", "weight", "sort_order"])
    if created or updated:
        audit.record(
            actor=actor,
            action="session.roster.init",
            obj=session,
            scope_path=_scope(session),
            changes={
                "categories": [sorted(existing), sorted([*existing, *(c.code for c in created)])]
            },
        )
    return list(session.categories.all())


def _count(value, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100000:
        raise ValidationError({field: f"{label}必须是 0 到 100000 之间的整数。"})
    return value


@transaction.atomic
def set_category_counts(
    *, actor, category: RosterCategory, expected: int | None = None, present: int | None = None
) -> RosterCategory:
    """Set 应到 and/or 实到 of a category. 实到 by count only when nobody is named on it."""
    session = category.session
    _require(actor, session)
    _locked(session)
    category = RosterCategory.objects.select_for_update().get(pk=category.pk)
    before = audit.snapshot(category, ("expected", "present"))
    if expected is not None:
        category.expected = _count(expected, "expected", "应到人数")
    if present is not None:
        present = _count(present, "present", "实到人数")
        if category.members.exists():
            raise ValidationError(
                {"present": f"“{category.label}”按名单签到，实到人数由签到自动计算。"}
            )
        category.present = present
    if category.present > category.expected:
        raise ValidationError(
            {
                "present": f"“{category.label}”实到人数（{category.present}）"
                f"不能超过应到人数（{category.expected}）。"
            }
        )
    changes = audit.diff(before, category)
    if changes:
        category.save(update_fields=["expected", "present"])
        audit.record(
            actor=actor,
            action="session.roster.counts",
            obj=category,
            scope_path=_scope(session),
            changes=changes,
        )
    return category


def _clean_name(name: str) -> str:
    return _clean_text(name, field="name", label="姓名", max_length=NAME_MAX_LENGTH, required=True)


def _sync_expected(category: RosterCategory) -> None:
    """A named list sets 应到 at least to its length, and 实到 to those signed in."""
    members = category.members.count()
    present = category.members.filter(signed_in=True).count()
    category.expected = max(category.expected, members)
    category.present = present
    category.save(update_fields=["expected", "present"])


@transaction.atomic
def add_member(*, actor, category: RosterCategory, name: str) -> RosterMember:
    """Name one voter on the roster of a category."""
    session = category.session
    _require(actor, session)
    _locked(session)
    name = _clean_name(name)
    if category.members.filter(name=name).exists():
        raise ValidationError({"name": f"“{category.label}”中已有“{name}”。"})
    member = RosterMember.objects.create(category=category, name=name)
    _sync_expected(category)
    audit.record(
        actor=actor,
        action="session.roster.member.add",
        obj=member,
        scope_path=_scope(session),
        changes={"name": [None, name], "category": [None, category.code]},
    )
    return member


@transaction.atomic
def import_members(*, actor, session: Session, table: Table) -> tuple[int, list[RowError]]:
    """Add named voters from a file with columns ``category,name`` (or 类别,姓名).

    The category is named by its code or its label. Any bad row means nothing is added.
    """
    _require(actor, session)
    session = _locked(session)
    cat_col = "category" if "category" in table.header else "类别"
    name_col = "name" if "name" in table.header else "姓名"
    if cat_col not in table.header or name_col not in table.header:
        raise TabularError("缺少必需的列：第一行应为列名 category,name（或 类别,姓名）。")
    if not table.rows:
        raise TabularError("文件中没有数据行。")
    categories = list(session.categories.all())
    if not categories:
        raise TabularError("本次会议还没有参评人员类别，请先生成类别。")
    lookup = {c.code: c for c in categories} | {c.label: c for c in categories}
    taken = {
        (m.category_id, m.name) for m in RosterMember.objects.filter(category__session=session)
    }
    errors: list[RowError] = []
    fresh: list[RosterMember] = []
    for number, row in table.rows:
        category = lookup.get(row.get(cat_col, "").strip())
        name = row.get(name_col, "").strip()
        if category is None:
            errors.append(RowError(number, cat_col, f"类别“{row.get(cat_col, '')}”不存在。"))
            continue
        if not name:
            errors.append(RowError(number, name_col, "姓名为空。"))
            continue
        if len(name) > NAME_MAX_LENGTH:
            errors.append(RowError(number, name_col, f"姓名不能超过 {NAME_MAX_LENGTH} 个字符。"))
            continue
        if (category.pk, name) in taken:
            errors.append(RowError(number, name_col, f"“{category.label}”中已有“{name}”。"))
            continue
        taken.add((category.pk, name))
        fresh.append(RosterMember(category=category, name=name))
    if errors:
        return 0, errors
    RosterMember.objects.bulk_create(fresh)
    for category in {m.category_id: m.category for m in fresh}.values():
        _sync_expected(category)
    audit.record(
        actor=actor,
        action="session.roster.import",
        obj=session,
        scope_path=_scope(session),
        note=f"导入参评人员 {len(fresh)} 名",
    )
    return len(fresh), []


@transaction.atomic
def sign_in(*, actor, member: RosterMember, signed_in: bool = True) -> RosterMember:
    """Mark a named voter present (or not); the category's 实到 follows the sign-ins."""
    category = member.category
    session = category.session
    _require(actor, session)
    _locked(session)
    member = RosterMember.objects.select_for_update().get(pk=member.pk)
    if member.signed_in == signed_in:
        return member
    member.signed_in = signed_in
    member.save(update_fields=["signed_in"])
    _sync_expected(category)
    audit.record(
        actor=actor,
        action="session.roster.sign_in",
        obj=member,
        scope_path=_scope(session),
        changes={"signed_in": [not signed_in, signed_in]},
    )
    return member
