"""The organisation tree (materialised path) and its unit types.

The tree keeps an indexed ``path`` column of ancestor ids (``/1/17/342/``) instead of a tree
library: a subtree is ``path LIKE '/1/17/%'``, ancestors are read from the path itself, and a
bulk import can compute paths in memory and load them with ``COPY``.
See docs/decisions/0002-materialised-path-of-ids.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.core.models import TimeStampedModel
from shuzhi.kernel.querysets import ScopedQuerySet

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
