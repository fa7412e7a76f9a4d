"""Signals other apps listen to when the tree changes shape.

``subtree_moved`` is sent inside the moving transaction, after the units' paths were
rewritten, with ``old_prefix`` and ``new_prefix`` so that apps keeping a copy of a unit's path
(for fast subtree filters) can rewrite theirs in one statement.

``demo_seeded`` is sent by ``orgs.demo.seed`` inside its transaction, once the demo province is
written, with ``layout`` (the units, people and posts built) and ``result`` (the counts, which
receivers add to); the accounts app creates the demo sign-ins on it.
"""

from django.dispatch import Signal

subtree_moved = Signal()
demo_seeded = Signal()
