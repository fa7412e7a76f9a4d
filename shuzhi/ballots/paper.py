"""Paper ballots: the printable form, double entry by two clerks, reconciliation and counting.

The form is a matrix — one row per reporter, a column per scale grade (and per sub-item
grade when the round has sub-items) — with a sheet number and the voter categories to tick.
Two clerks type every returned sheet independently; a sheet whose two entries agree is
counted into the ballot (new random ballot id, random row ids), the rest are listed so the
organiser can look at the paper and correct an entry.

Anonymity: the audit trail records only the act (“sheet N entered by clerk k”) with the
clerk's user as actor, never the ratings. The sheet number is printed on forms handed out at
random and is not linked to a voter.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from shuzhi.core import audit, transitions
from shuzhi.core.models import AuditEntry
from shuzhi.core.transitions import Transition
from shuzhi.exports.pdf import PdfFont, cjk_font, fit_text
from shuzhi.orgs.tree.policies import can

from . import tally
from .models import Ballot, BallotRound, BallotRoundStatus, PaperEntry, VoteCode
from .transitions import BALLOT_ROUND

MAX_SHEET = 100_000
VOID_REASON = "收回票数多于发出票数，本轮无效"
ENTERED = "ballot.paper_entered"


def _require_manage(actor, ballot_round: BallotRound) -> None:
    if not can(actor, "ballot.manage", ballot_round.session.round.host):
        raise PermissionDenied("您没有管理此轮投票的权限。")


def _require_open(ballot_round: BallotRound) -> None:
    if ballot_round.status != BallotRoundStatus.OPEN:
        raise ValidationError({"__all__": "本轮投票已结束或已作废，不能再录入或计入纸质票。"})


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def set_paper_issued(*, actor, ballot_round: BallotRound, count: int) -> BallotRound:
    """Record how many paper forms were handed out (the ceiling for returned sheets)."""
    _require_manage(actor, ballot_round)
    if not isinstance(count, int) or count < 0 or count > MAX_SHEET:
        raise ValidationError({"paper_issued": f"发出纸质票数必须是 0 到 {MAX_SHEET} 之间的整数。"})
    with transaction.atomic():
        locked = BallotRound.objects.select_for_update().get(pk=ballot_round.pk)
        _require_open(locked)
        before = audit.snapshot(locked, ["paper_issued"])
        locked.paper_issued = count
        locked.save(update_fields=["paper_issued"])
        audit.record(
            actor=actor,
            action="ballot.paper_issued",
            obj=locked,
            scope_path=ballot_round.session.round.host.path,
            changes=audit.diff(before, locked),
        )
    ballot_round.paper_issued = count
    return ballot_round


def clean_ratings(ballot_round: BallotRound, raw: dict) -> dict[str, dict[str, str]]:
    """Check a sheet's ratings against the round's reporters and scale.

    ``raw`` maps a session reporter id to ``{item: grade}``; a missing or empty grade is an
    abstention. Errors name the row, never the grade typed.
    """
    rules = tally.rules_of(ballot_round)
    grades = set(rules.grade_codes)
    items = rules.items
    reporter_ids = [str(i) for i in tally.snapshot_reporter_ids(ballot_round)]
    if not reporter_ids:
        reporter_ids = [str(r.pk) for r in tally.session_reporters(ballot_round)]
    unknown = set(map(str, raw)) - set(reporter_ids)
    if unknown:
        raise ValidationError({"ratings": "选票中含有不在本轮的述职人。"})
    cleaned: dict[str, dict[str, str]] = {}
    for rid in reporter_ids:
        row = raw.get(rid) or raw.get(int(rid)) or {}  # type: ignore[call-overload]
        if not isinstance(row, dict):
            raise ValidationError({"ratings": "评价格式不正确。"})
        if set(row) - set(items):
            raise ValidationError({"ratings": "评价中含有不在本轮的评价项目。"})
        cleaned[rid] = {}
        for item in items:
            grade = row.get(item) or ""
            if grade and grade not in grades:
                raise ValidationError({f"r{rid}_{item}": "请选择本轮评价等次中的一项。"})
            cleaned[rid][item] = grade
    return cleaned


def _last_clerk_user(ballot_round: BallotRound, sheet: int, clerk: int) -> int | None:
    """The user who last entered ``sheet`` as ``clerk`` (from the audit trail of the act)."""
    return (
        AuditEntry.objects.filter(
            action=ENTERED,
            object_type="ballots.ballotround",
            object_id=str(ballot_round.pk),
            changes__sheet=sheet,
            changes__clerk=clerk,
        )
        .order_by("-id")
        .values_list("actor_id", flat=True)
        .first()
    )


def enter_sheet(
    *, actor, ballot_round: BallotRound, sheet: int, clerk: int, category: str, ratings: dict
) -> PaperEntry:
    """One clerk's typing of one paper sheet; typing it again (a correction) replaces it.

    The two entries of a sheet must come from two different users. A sheet already counted
    cannot be changed.
    """
    _require_manage(actor, ballot_round)
    errors: dict[str, str] = {}
    if not isinstance(sheet, int) or not 1 <= sheet <= MAX_SHEET:
        errors["sheet"] = f"票号必须是 1 到 {MAX_SHEET} 之间的整数。"
    if clerk not in (1, 2):
        errors["clerk"] = "请选择录入员一或录入员二。"
    rules = tally.rules_of(ballot_round)
    if category not in rules.category_labels:
        errors["category"] = "请选择纸质票上勾选的参评人员类别。"
    if errors:
        raise ValidationError(errors)
    cleaned = clean_ratings(ballot_round, ratings)
    with transaction.atomic():
        locked = BallotRound.objects.select_for_update().get(pk=ballot_round.pk)
        _require_open(locked)
        other = _last_clerk_user(locked, sheet, 3 - clerk)
        if other is not None and other == actor.pk:
            raise ValidationError(
                {
                    "clerk": f"第{sheet}号票已由您作为录入员{'一二'[2 - clerk]}录入，"
                    "两次录入必须由不同的人完成。"
                }
            )
        entry = PaperEntry.objects.filter(round=locked, sheet=sheet, clerk=clerk).first()
        if entry is not None and entry.counted:
            raise ValidationError({"sheet": f"第{sheet}号票已计入，不能再修改。"})
        corrected = entry is not None
        if entry is None:
            entry = PaperEntry(round=locked, sheet=sheet, clerk=clerk)
        entry.category = category
        entry.ratings = cleaned
        entry.save()
        # The act only: which sheet, which clerk slot. Never the ratings or the category.
        audit.record(
            actor=actor,
            action=ENTERED,
            obj=locked,
            scope_path=ballot_round.session.round.host.path,
            changes={"sheet": sheet, "clerk": clerk},
            note=f"纸质票第{sheet}号由录入员{'一二'[clerk - 1]}{'更正' if corrected else '录入'}",
        )
    return entry


@dataclass
class SheetState:
    """A sheet as the reconciliation page sees it."""

    sheet: int
    first: PaperEntry | None
    second: PaperEntry | None

    @property
    def counted(self) -> bool:
        return bool(self.first and self.first.counted)

    @property
    def agrees(self) -> bool:
        return bool(
            self.first
            and self.second
            and self.first.category == self.second.category
            and self.first.ratings == self.second.ratings
        )

    @property
    def status(self) -> str:
        if self.counted:
            return "已计入"
        if self.first is None or self.second is None:
            return "只有一份录入"
        return "两次录入一致" if self.agrees else "两次录入不一致"

    def differing(self) -> list[tuple[str, str]]:
        """``(reporter id, item)`` keys where the two entries differ."""
        if not (self.first and self.second):
            return []
        keys = []
        a, b = self.first.ratings, self.second.ratings
        for rid in sorted(set(a) | set(b), key=lambda k: int(k)):
            row_a, row_b = a.get(rid, {}), b.get(rid, {})
            for item in sorted(set(row_a) | set(row_b)):
                if row_a.get(item, "") != row_b.get(item, ""):
                    keys.append((rid, item))
        return keys


def sheets(ballot_round: BallotRound) -> list[SheetState]:
    """Every sheet with at least one entry, by sheet number (one query)."""
    states: dict[int, SheetState] = {}
    for entry in PaperEntry.objects.filter(round=ballot_round).order_by("sheet", "clerk"):
        state = states.setdefault(entry.sheet, SheetState(entry.sheet, None, None))
        if entry.clerk == 1:
            state.first = entry
        else:
            state.second = entry
    return list(states.values())


@dataclass
class CountResult:
    counted: int
    pending: int
    void: bool


def count_agreed(*, actor, ballot_round: BallotRound) -> CountResult:
    """计入: turn every uncounted sheet whose two entries agree into ballot entries.

    Atomic and idempotent (a counted sheet is skipped). Afterwards, if more ballots were
    counted than codes and paper forms were issued, the round becomes void.
    """
    _require_manage(actor, ballot_round)
    with transaction.atomic():
        locked = (
            BallotRound.objects.select_for_update()
            .select_related("session__round__host")
            .get(pk=ballot_round.pk)
        )
        _require_open(locked)
        rules = tally.rules_of(locked)
        agreed = [s for s in sheets(locked) if not s.counted and s.agrees]
        pending = sum(1 for s in sheets(locked) if not s.counted and not s.agrees)
        # Random processing order: row order on disk then says nothing about sheet numbers.
        secrets.SystemRandom().shuffle(agreed)
        ballots = []
        for state in agreed:
            assert state.first is not None
            ballots.append(
                Ballot.from_rows(
                    round_id=locked.pk,
                    category=state.first.category,
                    rows=(
                        (rid, item, items.get(item, ""))
                        for rid, items in state.first.ratings.items()
                        for item in rules.items
                    ),
                )
            )
        Ballot.objects.bulk_create(ballots, batch_size=1000)
        numbers = [s.sheet for s in agreed]
        PaperEntry.objects.filter(round=locked, sheet__in=numbers).update(counted=True)
        if numbers:
            audit.record(
                actor=actor,
                action="ballot.paper_counted",
                obj=locked,
                scope_path=locked.session.round.host.path,
                changes={"sheets": len(numbers)},
                note=f"计入纸质票 {len(numbers)} 张",
            )
        void = _void_if_overflowing(actor, locked)
    if void:
        ballot_round.status = BallotRoundStatus.VOID
        ballot_round.void_reason = VOID_REASON
    return CountResult(counted=len(agreed), pending=pending, void=void)


def _void_if_overflowing(actor, ballot_round: BallotRound) -> bool:
    """Void the round when more ballots came back than were issued (codes + paper forms)."""
    ballots = Ballot.objects.filter(round=ballot_round).count()
    issued = VoteCode.objects.filter(round=ballot_round).count() + ballot_round.paper_issued
    if ballots <= issued:
        return False
    before = audit.snapshot(ballot_round, ["status", "void_reason"])

    def prepare(ballot_round: BallotRound, move: Transition) -> None:
        ballot_round.void_reason = VOID_REASON

    transitions.apply(
        BALLOT_ROUND,
        actor=actor,
        obj=ballot_round,
        to=BallotRoundStatus.VOID,
        action="ballot.round_voided",
        prepare=prepare,
        update_fields=["void_reason"],
        changes=lambda voided: audit.diff(before, voided) | {"returned": ballots, "issued": issued},
        locked=True,
    )
    return True


# ---------------------------------------------------------------------------------------------
# The printable form
# ---------------------------------------------------------------------------------------------


def render_forms(
    ballot_round: BallotRound, *, first: int, last: int, font: PdfFont | None = None
) -> bytes:
    """Paper ballot forms numbered ``first``..``last``, one sheet (page) each."""
    font = font or cjk_font()
    rules = tally.rules_of(ballot_round)
    reporters = tally.session_reporters(ballot_round)
    columns: list[tuple[str, str]] = []  # (item label, grade label)
    for sub in rules.sub_items:
        columns += [(sub["label"], g["label"]) for g in rules.scale]
    columns += [("总体评价", g["label"]) for g in rules.scale]
    pagesize = landscape(A4) if len(columns) > 6 else A4
    width, height = pagesize
    margin = 12 * mm
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=pagesize, pageCompression=1)
    c.setTitle(f"{ballot_round.session.title} 纸质测评票")
    name_w = min(70 * mm, width * 0.35)
    col_w = (width - 2 * margin - name_w) / max(len(columns), 1)
    # Header rows: item labels (when sub-items exist) and grade labels.
    header_h = 14 * (2 if rules.sub_items else 1)

    def table_header(top: float) -> float:
        c.rect(margin, top - header_h, name_w, header_h)
        c.setFont(font.name, 9)
        c.drawString(margin + 3, top - header_h + 4, "述职单位 / 述职人")
        for i, (item, grade) in enumerate(columns):
            cx = margin + name_w + i * col_w
            c.rect(cx, top - header_h, col_w, header_h)
            if rules.sub_items:
                c.drawCentredString(
                    cx + col_w / 2, top - 11, fit_text(item, font.name, 8, col_w - 2)
                )
            c.drawCentredString(
                cx + col_w / 2, top - header_h + 4, fit_text(grade, font.name, 9, col_w - 2)
            )
        return top - header_h

    for number in range(first, last + 1):
        y = height - margin
        c.setFont(font.name, 15)
        c.drawCentredString(
            width / 2,
            y - 15,
            fit_text(
                f"{ballot_round.session.title} 民主测评票",
                font.name,
                15,
                width - 2 * margin - 40 * mm,
            ),
        )
        c.setFont("Courier-Bold", 12)
        c.drawRightString(width - margin, y - 12, f"No. {number:04d}")
        c.setFont(font.name, 9)
        c.drawRightString(width - margin, y - 24, f"票号 {number}")
        y -= 36
        c.drawString(margin, y, "参评人员类别（请勾选一项）：")
        x = margin + 120
        for cat in rules.categories:
            c.rect(x, y - 1, 8, 8)
            c.drawString(x + 11, y, cat["label"])
            x += 16 + c.stringWidth(cat["label"], font.name, 9) + 8
            if x > width - margin - 60:
                x = margin + 120
                y -= 14
        if font.warning:
            y -= 12
            c.setFont(font.name, 7)
            c.drawString(margin, y, font.warning)
        y -= 20
        available = y - header_h - margin - 30
        row_h = max(min(22.0, available / max(len(reporters), 1)), 9.0)
        size = min(10.0, row_h * 0.6)
        c.setLineWidth(0.6)

        y = table_header(y)
        for sr in reporters:
            if y - row_h < margin + 24:
                # Too many reporters for one page: the sheet continues overleaf, same number.
                c.showPage()
                c.setFont("Courier-Bold", 12)
                c.drawRightString(width - margin, height - margin - 12, f"No. {number:04d}")
                c.setFont(font.name, 9)
                c.drawString(margin, height - margin - 12, f"票号 {number}（续）")
                c.setLineWidth(0.6)
                y = table_header(height - margin - 30)
            label = sr.reporter.unit.name + (
                f" {sr.reporter.person.name}" if sr.reporter.person else ""
            )
            c.rect(margin, y - row_h, name_w, row_h)
            c.setFont(font.name, size)
            c.drawString(
                margin + 3, y - row_h / 2 - size / 3, fit_text(label, font.name, size, name_w - 6)
            )
            for i in range(len(columns)):
                cx = margin + name_w + i * col_w
                c.rect(cx, y - row_h, col_w, row_h)
                box = min(row_h * 0.55, 9)
                c.rect(cx + col_w / 2 - box / 2, y - row_h / 2 - box / 2, box, box)
            y -= row_h
        c.setFont(font.name, 8)
        c.drawString(
            margin,
            margin + 8,
            "说明：每位述职人在总体评价中勾选一项，不勾视为弃权；请勿在票面署名或做其他标记。",
        )
        c.showPage()
    c.save()
    return buffer.getvalue()
