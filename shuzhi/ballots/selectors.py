"""Read-side helpers for the organiser console: rounds of a session with their progress.

Counts only — issued and used codes per category and ballots cast — in two grouped queries
for all the rounds of a session, whatever their number. Ballots cast are the used codes plus
the counted paper sheets, read from the "who has voted" side: the ballots themselves are not
read while a round is open. The console shows used codes per category only once the round has
ended (``RoundProgress.by_category``): during the vote, a count per category read after each
ballot would tell which category each voter belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from shuzhi.meetings.models import Session

from .models import BallotRound, BallotRoundStatus, PaperEntry, VoteCode


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

    @property
    def by_category(self) -> bool:
        """May the codes used per category be shown (the round is no longer open)?"""
        return self.round.status != BallotRoundStatus.OPEN


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
    # Both clerks' entries of a counted sheet are marked counted; clerk 1's stands for it.
    paper = dict(
        PaperEntry.objects.filter(round_id__in=ids, counted=True, clerk=1)
        .values("round_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("round_id", "n")
    )
    used_codes: dict[int, int] = {}
    for (round_id, _category), (_issued, n) in codes.items():
        used_codes[round_id] = used_codes.get(round_id, 0) + n
    result = []
    for rnd in rounds:
        progress = RoundProgress(
            round=rnd, ballots=used_codes.get(rnd.pk, 0) + paper.get(rnd.pk, 0)
        )
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
