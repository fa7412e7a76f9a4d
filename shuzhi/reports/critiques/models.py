"""点评: a critique of one reporter by the host secretary or a leadership-team member.

Each problem a critique names becomes a ``rectification.Problem`` with source 上级点评 and
``critique`` pointing back here.

``Critique.objects.visible_to(user, action)`` answers who sees and who writes a critique (the
rules are in docs/permissions.md, "Problems, reports, critiques and plans"): ``critique.write``
is judged on the round's host, where a one-level grant counts only when it sits exactly on
the host; ``critique.view`` is everyone who may write it, and — once published — whoever holds
``critique.view`` on the reporting unit or on the host.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet
from shuzhi.kernel.roles import roles_for
from shuzhi.kernel.scope import is_global, scopes_for
from shuzhi.reports.reports.models import REPORTER_ROUTES

# Where a critique's writers are judged: the round's host.
HOST = "reporter__round__host__"


class CritiqueRole(models.TextChoices):
    HOST_SECRETARY = "host_secretary", _("主办单位书记")
    TEAM_MEMBER = "team_member", _("班子成员（分管领域）")


def reaches_exactly(user, action: str, path: str) -> bool:
    """``action`` on the unit at ``path`` through a whole-subtree grant covering it, or a
    one-level grant sitting exactly on it (never a one-level grant on its parent: that is the
    unit's superior, not its secretary or leader)."""
    if is_global(user):
        roles_for(action)
        return True
    for scope in scopes_for(user, action):
        if scope.max_depth is None:
            if path.startswith(scope.path):
                return True
        elif scope.path == path:
            return True
    return False


def reaches_exactly_q(user, action: str, prefix: str) -> Q:
    """The filter form of :func:`reaches_exactly` for rows whose unit sits at ``prefix``."""
    if is_global(user):
        roles_for(action)
        return Q()
    condition = Q(pk__in=[])
    for scope in scopes_for(user, action):
        if scope.max_depth is None:
            condition |= Q(**{f"{prefix}path__startswith": scope.path})
        else:
            condition |= Q(**{f"{prefix}path": scope.path})
    return condition


class CritiqueQuerySet(ScopedQuerySet):
    """A critique is written on the round's host and read, once published, through the
    reporting unit or the host (see the module docstring)."""

    scope_routes = REPORTER_ROUTES
    view_action = "critique.view"

    def scope_filter(self, user, action: str) -> Q:
        # An empty Q (a superuser's) or-ed to another condition would narrow it, so the
        # global case answers first.
        if is_global(user):
            roles_for(action)
            return Q()
        if action == "critique.write":
            return reaches_exactly_q(user, action, HOST)
        if action == "critique.view":
            written = reaches_exactly_q(user, "critique.write", HOST)
            return (Q(published=True) & super().scope_filter(user, action)) | written
        return super().scope_filter(user, action)

    def allows(self, user, action: str, obj: Any) -> bool:
        if action in ("critique.write", "critique.view"):
            if reaches_exactly(user, "critique.write", obj.reporter.round.host.path):
                return True
            if action == "critique.write":
                return False
            return bool(obj.published) and super().allows(user, action, obj)
        return super().allows(user, action, obj)


class Critique(TimeStampedModel):
    """点评 of one reporter by the host secretary or a leadership-team member on a portfolio.

    ``text`` is the overall comment; the problems it names are ``rectification.Problem`` rows
    with ``critique`` set to this critique (``self.problems``) once it is published, and
    ``draft_problems`` before. ``rating`` is the critic's
    overall judgement on the scale of the round (a scale code; optional), used by assessment.
    """

    reporter = models.ForeignKey(
        "cycles.RoundReporter",
        verbose_name=_("述职对象"),
        on_delete=models.CASCADE,
        related_name="critiques",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("点评人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_label = models.CharField(_("点评人姓名"), max_length=150, blank=True)
    # Who typed it in: the critic themselves, or someone entering it on their behalf (代录) —
    # then ``by_proxy`` is set, ``author`` is empty and ``author_label`` names the critic.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_by_label = models.CharField(_("录入人姓名"), max_length=150, blank=True)
    by_proxy = models.BooleanField(_("代录"), default=False)
    role = models.CharField(
        _("点评身份"),
        max_length=16,
        choices=CritiqueRole.choices,
        default=CritiqueRole.HOST_SECRETARY,
    )
    portfolio = models.CharField(_("分管领域"), max_length=100, blank=True)
    text = models.TextField(_("点评意见"), max_length=5000)
    rating = models.CharField(_("总体评价"), max_length=16, blank=True)
    published = models.BooleanField(_("已发布"), default=False)
    # The problems a draft names (``[{"description", "severity", "deadline"}]``): they enter
    # the ledger as ``rectification.Problem`` rows only when the critique is published.
    draft_problems = models.JSONField(_("待发布的问题"), default=list, blank=True)

    objects = CritiqueQuerySet.as_manager()

    class Meta:
        verbose_name = _("点评")
        verbose_name_plural = _("点评")
        ordering = ["reporter_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.reporter}"
