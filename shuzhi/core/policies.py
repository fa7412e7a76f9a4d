"""Who may open the installation-wide pages of this app: the audit search and the background
jobs. Objects of other apps are judged by their own policies; these pages have no object, so
they ask the kernel whether the action is held anywhere."""

from __future__ import annotations

from shuzhi.kernel.scope import may_anywhere


def may_search_audit(user) -> bool:
    """Does ``user`` hold ``audit.view`` anywhere (may they open the search at all)?"""
    return may_anywhere(user, "audit.view")


def may_view_worker(user) -> bool:
    """May ``user`` see the background jobs (``worker.view`` anywhere)?"""
    return may_anywhere(user, "worker.view")


def may_manage_units(user) -> bool:
    """Does ``user`` manage units somewhere (the import and users entries of the menu)?"""
    return may_anywhere(user, "unit.change")
