"""Who may run ballots — the permission authority for this app.

A ballot round belongs to a session, which belongs to a round whose host unit decides scope:
``ballot.manage`` on the host lets an organiser open, close and publish rounds and issue codes.
Voters need no permission at all: the one-time code is their only credential.
"""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhi.meetings.models import Session
from shuzhi.orgs.tree.policies import can

from .models import BallotRound


def can_manage_session(user, session: Session) -> bool:
    """May ``user`` run the ballot of ``session``?"""
    return can(user, "ballot.manage", session.round.host)


def can_manage(user, ballot_round: BallotRound) -> bool:
    """May ``user`` open, close, publish or issue codes for ``ballot_round``?"""
    return can_manage_session(user, ballot_round.session)


def sessions_for(user, action: str = "ballot.manage") -> QuerySet[Session]:
    """Sessions whose host unit is in ``user``'s scope for ``action``."""
    return Session.objects.visible_to(user, action)


def rounds_for(user, action: str = "ballot.manage") -> QuerySet[BallotRound]:
    """Ballot rounds whose host unit is in ``user``'s scope for ``action``."""
    return BallotRound.objects.visible_to(user, action)
