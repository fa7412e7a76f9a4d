"""Read-side helpers for the organiser console: rounds of a session with their progress.

Counts only — issued and used codes per category and ballots cast — in two grouped queries
for all the rounds of a session, whatever their number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from shuzhi.meetings.models import Session

from .models import Ballot, BallotRound, SealedBallot, VoteCode


@dataclass
class CategoryProgress:
    code: str
    label: str
    expected: int
    issued: int = 0
    used: int = 0


@dataclass
class RoundProgress:
    """A ballot round with its codes per category and the number of ballots cast."""

    round: BallotRound
    categories: list[CategoryProgress] = field(default_factory=list)
    ballots: int = 0

    @property
    def share_fields(self) -> range:
        """One share input per supervisor needed to count the round."""
        return range(1, self.round.seal_threshold + 1)

    @property
    def issued(self) -> int:
        return sum(c.issued for c in self.categories)

    @property
    def used(self) -> int:
        return sum(c.used for c in self.categories)


def session_rounds(session: Session) -> list[RoundProgress]:
    """All ballot rounds of ``session``, newest first, with their supervisors and progress
    (five queries)."""
    rounds = list(
        BallotRound.objects.filter(session=session)
        .order_by("-number")
        .prefetch_related("supervisors")
    )
    ids = [r.pk for r in rounds]
    codes: dict[tuple[int, str], tuple[int, int]] = {
        (row["round_id"], row["category"]): (row["issued"], row["used"])
        for row in VoteCode.objects.filter(round_id__in=ids)
        .values("round_id", "category")
        .annotate(issued=Count("id"), used=Count("id", filter=Q(used=True)))
        .order_by()
    }
    ballots: dict[int, int] = {}
    for model in (Ballot, SealedBallot):  # opened or counted, and still sealed
        for round_id, n in (
            model.objects.filter(round_id__in=ids)
            .values("round_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("round_id", "n")
        ):
            ballots[round_id] = ballots.get(round_id, 0) + n
    result = []
    for rnd in rounds:
        progress = RoundProgress(round=rnd, ballots=ballots.get(rnd.pk, 0))
        for category in rnd.policy.get("categories", []):
            issued, used = codes.get((rnd.pk, category["code"]), (0, 0))
            progress.categories.append(
                CategoryProgress(
                    code=category["code"],
                    label=category.get("label", category["code"]),
                    expected=int(category.get("expected", 0)),
                    issued=issued,
                    used=used,
                )
            )
        result.append(progress)
    return result
