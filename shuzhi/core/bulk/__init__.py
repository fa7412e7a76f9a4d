"""The one bulk write path: ids, foreign keys, ``COPY`` and the import-job runner.

Every import (units, posts, the problem ledger and the imports to come) writes through this
package instead of carrying its own copy (docs/decisions/0011-one-bulk-write-path.md):

- :mod:`.writing` — ids taken from a table's own sequence up front (PostgreSQL and SQLite), a
  table's foreign keys suspended during a very large load and re-created after, rows written
  with ``COPY`` in its text format on PostgreSQL (escaping, chunks, progress) and with
  ``executemany`` on SQLite;
- :mod:`.jobs` — the runner: an import is a reader + planner + writer plug-in registered under a
  kind; the runner stores nothing itself, it reads, plans and writes in one transaction,
  publishes progress and records success or failure with the row-numbered errors;
- bulk audit goes through :func:`shuzhi.core.audit.record_many`, never through direct rows.

This package sits in ``core`` and imports no app: the plug-ins import it, not the other way.
"""

from .writing import (
    CHUNK,
    NULL,
    ForeignKeys,
    allocate_ids,
    copy_lines,
    copy_text,
    insert_rows,
    suspend_foreign_keys,
    uses_copy,
)

__all__ = [
    "CHUNK",
    "NULL",
    "ForeignKeys",
    "allocate_ids",
    "copy_lines",
    "copy_text",
    "insert_rows",
    "suspend_foreign_keys",
    "uses_copy",
]
