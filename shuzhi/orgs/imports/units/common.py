"""Constants and data shapes shared by the import stages."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from shuzhi.core.bulk.jobs import ImportRefused as ImportRefused
from shuzhi.orgs.imports.tabular import RowError
from shuzhi.orgs.tree.models import Unit

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ["code", "name", "parent_code", "type"]
OPTIONAL_COLUMNS = ["short_name"]
PATH_MAX_LENGTH = Unit._meta.get_field("path").max_length or 255

_BAD_CODE = re.compile(r"[\s/]")

# (id, name, short_name, type_id, parent_id, path, depth, status)
Existing = tuple[int, str, str, int, int | None, str, int, str]
_EXISTING_FIELDS = ("id", "name", "short_name", "type_id", "parent_id", "path", "depth", "status")

NO_PERMISSION = "无权在该组织下导入"


def unusable_code(code: str) -> str:
    """The one message for a row's code that cannot be used, whatever the reason the importer
    may not learn: a malformed code and a code taken by a unit outside their scope read the
    same (as on the unit form), so the import is no oracle for which codes exist elsewhere."""
    return f"组织代码“{code}”不可用：不能包含空格或斜杠，也不能与已有组织重复。"


def unknown_parent(code: str) -> str:
    """The one message for a parent code the importer cannot use: absent from the file and
    from the tree, or naming a unit outside their scope, read the same."""
    return f"上级组织代码“{code}”在文件和您管理范围内的组织中都不存在。"


@dataclass
class UnitRows:
    """The file's rows as columns; ``numbers`` are the row numbers as Excel shows them."""

    numbers: list[int]
    codes: list[str]
    names: list[str]
    parent_codes: list[str]
    types: list[str]
    shorts: list[str]
    extra: list[int] = field(default_factory=list)  # rows with cells beyond the header

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class UnitPlan:
    """What an import will do, computed from the file and the database under the lock."""

    rows: UnitRows
    errors: list[RowError]
    bad: bytearray
    type_ids: list[int]
    type_names: dict[int, str]
    par_file: list[int]  # index of the parent's row in the file, or -1
    par_db: list[Existing | None]  # the parent when it is in the database only
    existing: list[Existing | None]  # the unit itself when its code is in the database
    row_of_existing_id: dict[int, int]
    topological: bool  # every parent in the file comes before its children
    create: list[int] = field(default_factory=list)
    update: list[int] = field(default_factory=list)
    moved: set[int] = field(default_factory=set)
    unchanged: int = 0

    @property
    def total_rows(self) -> int:
        return len(self.rows)


@dataclass
class ImportOutcome:
    """Counts of a finished import."""

    total_rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    scope_path: str = ""
