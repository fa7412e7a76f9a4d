"""Signals other apps listen to when the tree changes shape.

``subtree_moved`` is sent inside the moving transaction, after the units' paths were
rewritten, with ``old_prefix`` and ``new_prefix`` so that apps keeping a copy of a unit's path
(for fast subtree filters) can rewrite theirs in one statement.
"""

from django.dispatch import Signal

subtree_moved = Signal()
