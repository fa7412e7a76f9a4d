"""The demo's 2025 meeting votes the way a hall does: on the phones.

``vote_on_phones`` runs while the rounds demo holds the 2025 session (``seed_round_demo``'s
``during_2025_meeting``): the organiser opens the formal ballot round (``open_round``, which
starts the meeting and splits the round's key among three supervisors), issues the codes, and
every voter present casts a ballot through the same intake as the phone's form — the fields
the ``/v/<code>/`` page posts (``o_<reporter>`` grades, ``c_<reporter>`` comments, a nonce),
read by ``vote_views.ratings_from_fields`` and cast by ``services.submit_ballot``, sealed. Two
supervisors then count (``close_round`` with their shares) and the result is published. No
ballot row is written any other way, and the ratings stay only in the ballot tables.

A city's standing decides how voters rate it (``assessment.demo``'s spread), so the 民主测评
results differ by city; the draw is seeded, so the demo is the same on every machine.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from shuzhi.assessment.demo import DEMO_SUPERVISORS, VOTING_DAY, voter_grade, voter_standing
from shuzhi.ballots import services as ballot_services
from shuzhi.ballots import vote_views
from shuzhi.demo.ledger import _on
from shuzhi.meetings import services as meeting_services
from shuzhi.meetings.models import ReportMode, Session, SessionStatus

SEED = "jiangling-2025-phones"
# A few voters leave a word for a reporter, as the phone's comment box allows.
COMMENTS = (
    "抓基层党建思路清晰，建议进一步加强村级后备力量培养。",
    "整改措施要更具体，明确完成时限。",
    "软弱涣散村整顿成效明显，值得推广。",
    "述职中问题查摆不够深入，希望直面短板。",
)


def _organiser():
    User = get_user_model()
    return (
        User.objects.filter(username="organiser").first()
        or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    )


def _hear_every_live_report(actor, session: Session) -> None:
    """Start the meeting and give each live reporter the floor in turn: the formal ballot
    opens only once the reports it covers are heard (``shuzhi.ballots.order``)."""
    with _on(VOTING_DAY, 8):
        if session.status == SessionStatus.PLANNED:
            meeting_services.transition_session(
                actor=actor, session=session, status=SessionStatus.IN_PROGRESS
            )
        live = session.reporters.filter(mode=ReportMode.LIVE, started_at__isnull=True)
        for entry in live.order_by("position", "id"):
            meeting_services.start_speaker(actor=actor, entry=entry)
            meeting_services.finish_speaker(actor=actor, entry=entry)


def vote_on_phones(session: Session) -> int:
    """Open, vote, count and publish the formal ballot round of ``session`` (held on
    :data:`VOTING_DAY`); one ballot per voter present. Returns the ballots cast."""
    actor = _organiser()
    if actor is None:
        return 0
    rng = random.Random(SEED)
    categories = list(session.categories.all())
    _hear_every_live_report(actor, session)
    with _on(VOTING_DAY, 9):
        ballot_round = ballot_services.open_round(
            actor=actor, session=session, supervisors=list(DEMO_SUPERVISORS), threshold=2
        )
        shares = ballot_round.shares  # type: ignore[attr-defined]
        codes = ballot_services.issue_codes(actor=actor, ballot_round=ballot_round)
    by_category: dict[str, list[str]] = {}
    for issued in sorted(codes, key=lambda c: c.code):
        by_category.setdefault(issued.category, []).append(issued.code)
    standing = {str(r["id"]): voter_standing(i) for i, r in enumerate(ballot_round.reporters)}
    cast = 0
    with _on(VOTING_DAY, 11):
        for category in categories:
            for code in by_category.get(category.code, [])[: category.present]:
                fields = {"nonce": f"phone-{code}"}
                for reporter, level in standing.items():
                    fields[f"o_{reporter}"] = voter_grade(rng, level)
                    if rng.random() < 0.02:
                        fields[f"c_{reporter}"] = rng.choice(COMMENTS)
                ratings, comments = vote_views.ratings_from_fields(fields)
                ballot_services.submit_ballot(
                    code=code, nonce=fields["nonce"], ratings=ratings, comments=comments
                )
                cast += 1
    with _on(VOTING_DAY, 12):
        # Two of the three supervisors count; the third share is never needed.
        ballot_services.close_round(
            actor=actor, ballot_round=ballot_round, shares=[s.share for s in shares[1:]]
        )
        # Published, as after the meeting: the hall screen shows results only then.
        ballot_services.publish_round(actor=actor, ballot_round=ballot_round)
    return cast
