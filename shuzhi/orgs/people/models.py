"""People and the posts they hold in the units of the tree.

A person is registered in one unit (which decides who may see and edit the record); a post is a
person holding a role in a unit between two dates.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet
from shuzhi.kernel.scope import can_at, scope_q
from shuzhi.orgs.tree.models import Unit


class PersonQuerySet(ScopedQuerySet):
    """A person is seen where they are registered and where they hold a post."""

    scope_routes = (("unit__path", "unit__depth"),)
    view_action = "person.view"

    def scope_filter(self, user, action: str) -> Q:
        registered = super().scope_filter(user, action)
        if not registered:  # everywhere: an empty Q
            return registered
        posted = scope_q(user, action, path="posts__unit__path", depth="posts__unit__depth")
        # Subqueries rather than a join through posts, which would repeat people.
        model = self.model
        return Q(pk__in=model.objects.filter(registered).values("pk")) | Q(
            pk__in=model.objects.filter(posted).values("pk")
        )

    def allows(self, user, action: str, obj) -> bool:
        """Acting on a person is judged where they are registered."""
        return can_at(user, action, obj.unit.path, obj.unit.depth)


class Person(TimeStampedModel):
    """Someone who holds or held a post. Never stores national ID numbers.

    ``unit`` is where the person is registered; it decides who may see and edit the record,
    together with the units of the person's posts.
    """

    name = models.CharField(_("姓名"), max_length=50)
    staff_number = models.CharField(
        _("工号或党员编号"), max_length=32, null=True, blank=True, unique=True
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("所在组织"), on_delete=models.PROTECT, related_name="people"
    )
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"], name="orgs_person_name")]

    def __str__(self) -> str:
        return self.name


class PostRole(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    COMMITTEE_MEMBER = "committee_member", _("委员")
    ORGANISER = "organiser", _("组织委员")


class PostQuerySet(ScopedQuerySet):
    """Posts are scoped by the unit where they are held."""

    scope_routes = (("unit__path", "unit__depth"),)
    view_action = "unit.view"

    def on(self, date: datetime.date) -> PostQuerySet:
        """Posts held on ``date`` (start inclusive, end inclusive, open end = still held)."""
        return self.filter(start_date__lte=date).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=date)
        )


class Post(TimeStampedModel):
    """A person holding a role in a unit between two dates (an open end means still held)."""

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="posts"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("组织"), on_delete=models.PROTECT, related_name="posts"
    )
    role = models.CharField(_("职务"), max_length=32, choices=PostRole.choices)
    start_date = models.DateField(_("任职日期"))
    end_date = models.DateField(_("离任日期"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("职务")
        verbose_name_plural = _("职务")
        ordering = ["unit_id", "role", "-start_date"]
        indexes = [models.Index(fields=["unit", "role", "start_date"], name="orgs_post_unit_role")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="orgs_post_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.unit} · {self.get_role_display()}"


def secretary_of(unit: Unit, date: datetime.date) -> Post | None:
    """The secretary post of ``unit`` on ``date``, with the person, in one query."""
    return (
        Post.objects.filter(unit=unit, role=PostRole.SECRETARY)
        .on(date)
        .select_related("person")
        .order_by("-start_date")
        .first()
    )
