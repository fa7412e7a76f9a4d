"""点评: a critique of one reporter by the host secretary or a leadership-team member.

Each problem a critique names becomes a ``rectification.Problem`` with source 上级点评 and
``critique`` pointing back here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel


class CritiqueRole(models.TextChoices):
    HOST_SECRETARY = "host_secretary", _("主办单位书记")
    TEAM_MEMBER = "team_member", _("班子成员（分管领域）")


class Critique(TimeStampedModel):
    """点评 of one reporter by the host secretary or a leadership-team member on a portfolio.

    ``text`` is the overall comment; the problems it names are ``rectification.Problem`` rows
    with ``critique`` set to this critique (``self.problems``). ``rating`` is the critic's
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

    class Meta:
        verbose_name = _("点评")
        verbose_name_plural = _("点评")
        ordering = ["reporter_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.reporter}"
