"""Keep each problem's copy of its unit's path in step when a subtree moves."""

from __future__ import annotations

from shuzhi.orgs.tree import paths as tree

from .models import Problem


@tree.keeps_path_copy("rectification.problem", "unit_path", unit_field="unit")
def repath_problems(sender, *, old_prefix: str, new_prefix: str, **kwargs) -> None:
    """Rewrite ``unit_path`` of every problem under the moved subtree in one statement."""
    tree.rewrite_prefix(Problem.objects.all(), "unit_path", old_prefix, new_prefix)
