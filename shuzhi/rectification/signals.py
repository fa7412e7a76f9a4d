"""Keep each problem's copy of its unit's path in step when a subtree moves."""

from __future__ import annotations

from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr
from django.dispatch import receiver

from shuzhi.orgs.signals import subtree_moved

from .models import Problem


@receiver(subtree_moved)
def repath_problems(sender, *, old_prefix: str, new_prefix: str, **kwargs) -> None:
    """Rewrite ``unit_path`` of every problem under the moved subtree in one statement."""
    Problem.objects.filter(unit_path__startswith=old_prefix).update(
        unit_path=Concat(
            Value(new_prefix), Substr("unit_path", len(old_prefix) + 1, Length("unit_path"))
        )
    )
