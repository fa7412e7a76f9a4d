"""Template filters that ask the permission kernel, so templates never compare role strings.

``{% if user|may:"problem.create" %}`` — may the user do it somewhere (menus, buttons of list
pages); ``{{ grant.role|role_reaches_one_level }}`` — does a grant of that role reach only one
level down; ``{{ grant.role|role_manages }}`` — is it a managing role (organiser, admin).
For an action on one object, views pass flags computed by the app's policies.
"""

from __future__ import annotations

from django import template

from ..roles import MANAGING_ROLES, ROLE_ACTIONS, reaches_one_level
from ..scope import may_anywhere

register = template.Library()


@register.filter
def may(user, action: str) -> bool:
    return may_anywhere(user, action)


@register.filter
def role_reaches_one_level(role: str) -> bool:
    return reaches_one_level(role)


@register.filter
def role_manages(role: str) -> bool:
    return role in MANAGING_ROLES


@register.filter
def role_may(role: str, action: str) -> bool:
    """Does a grant of ``role`` carry ``action``?"""
    return action in ROLE_ACTIONS.get(role, frozenset())
