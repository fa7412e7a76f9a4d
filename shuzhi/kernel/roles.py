"""What each role may do. This table is the single source the policies read.

Actions are named ``<object>.<verb>``. A role's actions apply inside the scope of its grant.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles a grant can carry (``accounts.Grant.role``)."""

    ADMIN = "admin", _("系统管理员")
    ORGANISER = "organiser", _("组织部门工作人员")
    SECRETARY = "secretary", _("书记")
    INSPECTOR = "inspector", _("督查人员")
    LEADER = "leader", _("班子成员")
    VIEWER = "viewer", _("只读查看")


VIEW_ACTIONS = frozenset(
    {
        "unit.view",
        "unit.export",
        "person.view",
        "post.view",
        "round.view",
        "problem.view",
        "problem.export",
        "report.view",
        "critique.view",
        "field.view",
    },
)
MANAGE_ACTIONS = frozenset(
    {
        "unit.change",
        "unit.import",
        "person.change",
        "post.change",
        "user.view",
        "user.change",
        "grant.change",
        "audit.view",
        "round.change",
        "ballot.manage",
        "ballot.results",
        "problem.create",
        "problem.import",
        "problem.rectify",
        "problem.verify",
        "report.review",
        "critique.write",
        "worker.view",
        "field.manage",
    }
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: VIEW_ACTIONS | MANAGE_ACTIONS | {"unittype.change", "problemsource.change"},
    Role.ORGANISER: VIEW_ACTIONS | MANAGE_ACTIONS,
    # A secretary writes their own unit's report and plan (policies narrow ``report.write`` to
    # the unit itself), works on its problems, and as the superior of the units one level
    # down reviews their reports and critiques them.
    Role.SECRETARY: VIEW_ACTIONS
    | {
        "ballot.results",
        "problem.rectify",
        "report.write",
        "report.review",
        "critique.write",
    },
    Role.INSPECTOR: VIEW_ACTIONS | {"problem.create", "problem.import", "problem.verify"},
    # A leadership-team member (班子成员) critiques reporters on their portfolio.
    Role.LEADER: VIEW_ACTIONS | {"critique.write"},
    Role.VIEWER: VIEW_ACTIONS,
}

# Roles whose grant reaches only one level below the granted unit.
ONE_LEVEL_ROLES = frozenset({Role.SECRETARY, Role.LEADER})

# Roles whose grant carries the management of the subtree (shown as such on the home page).
MANAGING_ROLES = frozenset({Role.ADMIN, Role.ORGANISER})

ALL_ACTIONS = frozenset().union(*ROLE_ACTIONS.values())


def roles_for(action: str) -> list[str]:
    """The roles that carry ``action``."""
    if action not in ALL_ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]


def role_allows(role: str, action: str) -> bool:
    """Does a grant of ``role`` carry ``action`` (wherever it sits)?"""
    roles_for(action)  # refuse unknown actions
    return action in ROLE_ACTIONS.get(role, frozenset())


def reaches_one_level(role: str) -> bool:
    """Does a grant of ``role`` reach only the unit and its direct children?"""
    return role in ONE_LEVEL_ROLES
