"""Every model of the orgs app, named one by one so Django registers them all.

The models live with their part of the app — ``tree/models.py`` (units and unit types),
``people/models.py`` (people and their posts) and ``imports/models.py`` (import jobs) — and
all keep the app label ``orgs``, so their tables and migrations do not change. Code imports a
model from its part's module; this package only makes sure each is loaded with the app
(docs/decisions/0015-packages-not-prefixes.md).
"""

from shuzhi.orgs.imports.models import ImportJob, ImportKind, ImportStatus
from shuzhi.orgs.people.models import Person, Post, PostRole, secretary_of
from shuzhi.orgs.tree.models import Unit, UnitStatus, UnitType, child_path

__all__ = [
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "Person",
    "Post",
    "PostRole",
    "Unit",
    "UnitStatus",
    "UnitType",
    "child_path",
    "secretary_of",
]
