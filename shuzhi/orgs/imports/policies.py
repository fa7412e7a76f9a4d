"""Who may import units and posts (the pages and the API ask these first).

What a file may change is judged row by row against the unit each row names, by the import's
planner; these only decide whether to offer the import at all.
"""

from __future__ import annotations

from shuzhi.kernel.scope import may_anywhere


def may_import_units(user) -> bool:
    """May ``user`` import units anywhere at all (the page and API ask this first)?"""
    return may_anywhere(user, "unit.import")


def may_import_posts(user) -> bool:
    """May ``user`` import posts anywhere (to show the page and the menu entry)?"""
    return may_anywhere(user, "post.change")
