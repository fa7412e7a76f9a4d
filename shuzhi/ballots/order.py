"""The meeting runs in order: the guards on opening and on closing a formal ballot.

- A formal ballot opens only once the reports it covers are done: every live reporter on the
  session's agenda has finished speaking (written reporters do not speak). Opening earlier
  needs a reason, which the round's opening records in the audit trail.
- Closing a formal ballot with fewer ballots than the round's share of those present
  (``cycles.Round.close_turnout``, by default ``SHUZHI_BALLOT_CLOSE_TURNOUT``, 2/3) needs a
  reason, which the close records in the audit trail.

Test rounds (rehearsals before the meeting) pass both guards. Each refusal says in Chinese what
is missing and how to go on; the console page shows the same words before anyone clicks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError

from shuzhi.meetings.models import ReportMode, Session, SessionReporter

from .models import BallotRound

REASON_MAX_LENGTH = 500


def clean_reason(reason: object, *, field: str) -> str:
    """A typed reason, stripped; refused when it is not text or too long."""
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise ValidationError({field: "理由必须是文字。"})
    text = reason.strip()
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({field: f"理由不能超过 {REASON_MAX_LENGTH} 个字。"})
    return text


# --- Opening: the agenda first -------------------------------------------------------------


def unfinished_speakers(session: Session) -> list[str]:
    """``"位次. 单位"`` of the live reporters on the agenda who have not finished speaking."""
    rows = (
        SessionReporter.objects.filter(session=session, mode=ReportMode.LIVE, ended_at__isnull=True)
        .select_related("reporter__unit")
        .order_by("position", "id")
    )
    return [f"{e.position}. {e.reporter.unit.name}" for e in rows]


def agenda_note(unfinished: list[str]) -> str:
    """What the console says of the agenda before a formal ballot (``""``: all done)."""
    if not unfinished:
        return ""
    shown = "、".join(unfinished[:5]) + (f" 等 {len(unfinished)} 人" if len(unfinished) > 5 else "")
    return (
        f"现场述职尚未全部结束（{shown}未述职完毕）。正式投票应在所评议的述职全部结束后开始；"
        "如确需提前开始，请填写理由，理由将记入操作记录。"
    )


def check_opening(session: Session, *, is_test: bool, override_reason: object) -> str:
    """The reason to record for opening a formal ballot before the agenda is done (``""``
    when it is done or for a test round); refused when a reason is needed and none given."""
    reason = clean_reason(override_reason, field="override_reason")
    if is_test:
        return ""
    unfinished = unfinished_speakers(session)
    if not unfinished:
        return ""
    if not reason:
        raise ValidationError({"override_reason": agenda_note(unfinished)})
    return reason


# --- Closing: enough of those present voted ------------------------------------------------


@dataclass(frozen=True)
class Turnout:
    """Ballots cast against those present, and the share the round asks for."""

    cast: int
    present: int
    required: Fraction

    @property
    def needed(self) -> int:
        """The fewest ballots that meet the share."""
        return math.ceil(self.present * self.required)

    @property
    def below(self) -> bool:
        return self.present > 0 and self.cast < self.needed

    @property
    def note(self) -> str:
        """What the console says of the turnout (``""`` when it is met)."""
        if not self.below:
            return ""
        share = f"{float(self.cast) / self.present:.0%}" if self.present else "0%"
        return (
            f"已投 {self.cast} 票，实到 {self.present} 人，投票率 {share}，"
            f"低于本轮要求的 {required_text(self.required)}（至少 {self.needed} 票）。"
            "如仍要结束投票，请填写理由，理由将记入操作记录。"
        )


def required_share(ballot_round: BallotRound) -> Fraction:
    """The round's share of those present (its annual round's setting, else the site's)."""
    configured = ballot_round.session.round.close_turnout
    if configured is not None:
        return Fraction(configured)
    return Fraction(settings.SHUZHI_BALLOT_CLOSE_TURNOUT)


def required_text(share: Fraction) -> str:
    if share == Fraction(2, 3):
        return "实到人数的三分之二"
    return f"实到人数的 {float(share):.0%}"


def turnout_of(ballot_round: BallotRound, cast: int) -> Turnout:
    """The turnout of ``ballot_round`` with ``cast`` ballots (its session and annual round
    loaded)."""
    present = sum(c.present for c in ballot_round.session.categories.all())
    return Turnout(cast=cast, present=present, required=required_share(ballot_round))


def check_closing(ballot_round: BallotRound, cast: int, *, reason: object) -> str:
    """The reason to record for closing a formal ballot under the turnout (``""`` when the
    turnout is met or for a test round); refused when a reason is needed and none given."""
    text = clean_reason(reason, field="reason")
    if ballot_round.is_test:
        return ""
    turnout = turnout_of(ballot_round, cast)
    if not turnout.below:
        return ""
    if not text:
        raise ValidationError({"reason": turnout.note})
    return text
