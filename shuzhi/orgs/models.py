"""The organisation tree (materialised path), unit types, people and posts.

The tree keeps an indexed ``path`` column of ancestor ids (``/1/17/342/``) instead of a tree
library: a subtree is ``path LIKE '/1/17/%'``, ancestors are read from the path itself, and a
bulk import can compute paths in memory and load them with ``COPY``.
See docs/decisions/0002-materialised-path-of-ids.md.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet
from shuzhi.kernel.scope import can_at, scope_q

PATH_SEPARATOR = "/"
CODE_MAX_LENGTH = 64
NAME_MAX_LENGTH = 100
SHORT_NAME_MAX_LENGTH = 50


class UnitType(models.Model):
    """A kind of Party organisation (省级党委, 村党组织, 高校党委 …).

    Types are data so an administrator can add one; the shipped defaults carry fixed codes so
    import files from elsewhere can name them.
    """

    code = models.SlugField(_("类型代码"), max_length=32, unique=True)
    name = models.CharField(_("类型名称"), max_length=50, unique=True)
    level_label = models.CharField(
        _("层级"), max_length=20, help_text=_("如 省级、市级、县级、乡镇级、村级、基层")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("组织类型")
        verbose_name_plural = _("组织类型")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class UnitStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    MERGED = "merged", _("已合并")
    DISSOLVED = "dissolved", _("已撤销")


class UnitQuerySet(ScopedQuerySet):
    """Tree-aware queries. ``visible_to`` (from the permission kernel) is the only way list
    views reach units."""

    scope_routes = (("path", "depth"),)
    view_action = "unit.view"

    def subtree_of(self, unit: Unit, *, include_self: bool = True) -> UnitQuerySet:
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def active(self) -> UnitQuerySet:
        return self.filter(status=UnitStatus.ACTIVE)


class Unit(TimeStampedModel):
    """One Party organisation in the hierarchy.

    ``code`` is unique and stable (an administrative division code or the organisation's own).
    ``path`` lists the ids of the unit's ancestors and itself; ``depth`` is 1 for a root.
    A merged or dissolved unit stays in the tree with its history; only its status changes.
    """

    code = models.CharField(_("组织代码"), max_length=CODE_MAX_LENGTH, unique=True)
    name = models.CharField(_("名称"), max_length=NAME_MAX_LENGTH)
    short_name = models.CharField(_("简称"), max_length=SHORT_NAME_MAX_LENGTH, blank=True)
    type = models.ForeignKey(
        UnitType,
        verbose_name=_("类型"),
        on_delete=models.PROTECT,
        related_name="units",
        db_index=False,  # counted through the path index; an extra index slows imports
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,  # covered by the orgs_unit_children index
    )
    # Unique by construction (it ends with the unit's own id); indexed for prefix search below.
    path = models.CharField(_("路径"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级深度"), editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.ACTIVE
    )
    status_date = models.DateField(_("状态变更日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_units",
        db_index=False,
    )
    sort_order = models.IntegerField(_("排序"), default=0)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["sort_order", "code"]
        indexes = [
            models.Index(
                fields=["path"], name="orgs_unit_path_like", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["parent", "sort_order", "code"], name="orgs_unit_children"),
            models.Index(fields=["name"], name="orgs_unit_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent, read from the path without a query."""
        return [int(part) for part in self.path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)][:-1]

    @property
    def is_active(self) -> bool:
        return self.status == UnitStatus.ACTIVE

    def is_in_subtree_of(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


def child_path(parent_path: str, unit_id: int) -> str:
    """The path of a unit with ``unit_id`` under a parent whose path is ``parent_path``."""
    return f"{parent_path or PATH_SEPARATOR}{unit_id}{PATH_SEPARATOR}"


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


from .import_models import ImportJob  # noqa: E402,F401
