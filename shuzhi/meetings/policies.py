"""Who may see and run a review meeting. A session belongs to its round's host unit: the same
``round.view`` / ``round.change`` actions decide, scoped through the host's subtree.

- may this user do X to this session?   :func:`can_session`
- which sessions may this user see?     :func:`sessions_visible_to`
- which users may act on this session?  :func:`users_who_can_session`
"""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhi.orgs.tree import policies as org_policies

from .models import Session


def can_session(user, action: str, session: Session) -> bool:
    """May ``user`` perform ``action`` on ``session`` (judged at the round's host)?"""
    return org_policies.can(user, action, session.round.host)


def sessions_visible_to(user, action: str = "round.view") -> QuerySet[Session]:
    """Sessions whose round's host lies in ``user``'s scope for ``action``."""
    return Session.objects.visible_to(user, action)


def users_who_can_session(action: str, session: Session) -> QuerySet:
    """Active users who may perform ``action`` on ``session``."""
    return org_policies.users_who_can(action, session.round.host)
