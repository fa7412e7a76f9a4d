"""Writing many rows at once: ids, foreign keys, ``COPY`` and its SQLite fallback.

The measured design of the unit import (ADR 0003), kept once for every import:

- **Ids first.** :func:`allocate_ids` takes a block of ids from the table's own sequence in one
  statement, so the caller can compute everything that depends on them (paths, child rows) in
  memory before writing. Under the import's lock the values are consecutive and only their
  bounds are read back.
- **Foreign keys suspended for very large loads.** Keeping a table's foreign keys costs two
  trigger checks per inserted row at commit; re-creating them validates every row with one
  join. :func:`suspend_foreign_keys` drops and re-creates them when the load reaches
  ``SHUZHI_IMPORT_REBUILD_FK_ROWS`` rows — and only if the exclusive lock the drop needs is
  granted within a few seconds (otherwise the load keeps the keys and runs slower).
- **``COPY`` in its text format** on PostgreSQL (:func:`copy_lines`, escaping with
  :func:`copy_text` only when a value needs it, in chunks, with progress), ``executemany`` on
  SQLite (:func:`insert_rows`).

Callers format their own lines: the formatting loop is the hot path of a million-row load, and
an f-string per row is what keeps it at about a third of the import's time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

# Rows per ``COPY`` write (and per progress report); large enough that the Python side is a
# handful of joins, small enough that the job page sees progress.
CHUNK = 50_000
# Rows per ``executemany`` on SQLite.
BATCH = 5000
# Below this many rows nothing is dropped: the everyday small import never takes the path.
REBUILD_FK_DEFAULT = 50_000
# How long the drop of the foreign keys may wait for its exclusive lock.
LOCK_TIMEOUT = "3s"
NULL = "\\N"

_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

Progress = Callable[[int], None]


def uses_copy() -> bool:
    """Whether this database loads with ``COPY`` (PostgreSQL) or ``executemany`` (SQLite)."""
    return connection.vendor == "postgresql"


def copy_text(values: list[str]) -> list[str]:
    """Escape text for COPY's text format — the list itself when no value needs it."""
    if _COPY_SPECIAL.search("\x01".join(values)) is None:
        return values
    return [value.translate(_COPY_ESCAPES) for value in values]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column_list(columns: Sequence[str]) -> str:
    return ", ".join(_quote(name) for name in columns)


def allocate_ids(table: str, count: int) -> range | list[int]:
    """Take ``count`` ids for new rows of ``table`` from its own sequence.

    Call it inside the import's transaction, after the lock that keeps other writers of the
    table out: then the ids come back consecutive (a ``range``), and on SQLite — which has one
    writer — the ids after the highest one ever handed out are free.
    """
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Reading only the bounds spares a million-row result; if the values are not
            # consecutive after all (a concurrent insert without the lock), read them all.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT min(v), max(v), count(*) FROM ("
                " SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) AS s",
                [sequence, count],
            )
            low, high, taken = cursor.fetchone()
            if high - low + 1 == taken == count:
                return range(low, high + 1)
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite, under the database write lock: continue after the highest id ever handed
        # out (AUTOINCREMENT never reuses an id, so ``sqlite_sequence`` counts too).
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_quote(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        if row is not None:
            highest = max(highest, row[0])
        return range(highest + 1, highest + 1 + count)


class ForeignKeys:
    """Drop the foreign keys that ``tables`` own and re-create them after the load.

    Only the keys *from* these tables are touched (keys from other tables pointing at them stay
    and keep being checked). The drop runs in a savepoint with a short lock timeout: when the
    exclusive lock is not granted in time, or the database user may not alter the tables,
    :meth:`drop` answers False and nothing changed.
    """

    def __init__(self, tables: Sequence[str]) -> None:
        self.tables = list(tables)
        self.definitions: list[tuple[str, str, str]] = []

    def drop(self) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                    " FROM pg_constraint WHERE contype = 'f'"
                    " AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                    [self.tables],
                )
                definitions = cursor.fetchall()
                for table, name, _definition in definitions:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
        except Exception:
            logger.info("Bulk load keeps the foreign keys of %s.", self.tables, exc_info=True)
            return False
        self.definitions = definitions
        return True

    def restore(self) -> None:
        """Re-create the dropped keys; each validates every row with one join."""
        with connection.cursor() as cursor:
            for table, name, definition in self.definitions:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")
        self.definitions = []


@contextmanager
def suspend_foreign_keys(tables: Sequence[str], rows: int) -> Iterator[bool]:
    """Load ``rows`` rows into ``tables`` with their foreign keys dropped, when it pays.

    On PostgreSQL, at or above ``SHUZHI_IMPORT_REBUILD_FK_ROWS`` rows (0 turns it off), the
    keys are dropped before the block and re-created, validated, after it. If the block fails
    the keys are not re-created here: the import's transaction rolls back, and the drop with it.
    Yields whether the keys were dropped.
    """
    threshold = getattr(settings, "SHUZHI_IMPORT_REBUILD_FK_ROWS", REBUILD_FK_DEFAULT)
    keys = None
    if uses_copy() and threshold and rows >= threshold:
        keys = ForeignKeys(tables)
        if not keys.drop():
            keys = None
    yield keys is not None
    if keys is not None:
        keys.restore()


def copy_lines(
    table: str,
    columns: Sequence[str],
    lines: Iterable[str],
    *,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> int:
    """``COPY`` rows into ``table`` from lines already in COPY's text format; answers the count.

    Each line ends with ``\\n``, its values separated by tabs, text escaped with
    :func:`copy_text` and NULL written as :data:`NULL`. ``progress`` is called with the number of
    rows written after every chunk.
    """
    done = 0
    it = iter(lines)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {_quote(table)} ({_column_list(columns)}) FROM STDIN") as copy,
    ):
        while True:
            block = list(islice(it, chunk))
            if not block:
                break
            copy.write("".join(block))
            done += len(block)
            if progress is not None:
                progress(done)
    return done


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> int:
    """Insert rows (tuples in the order of ``columns``) with ``executemany``; answers the count.

    The path for SQLite and for small writes; ``progress`` is called after every batch.
    """
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {_quote(table)} ({_column_list(columns)}) VALUES ({placeholders})"
    done = 0
    it = iter(rows)
    with connection.cursor() as cursor:
        while True:
            block: list[Any] = list(islice(it, batch))
            if not block:
                break
            cursor.executemany(sql, block)
            done += len(block)
            if progress is not None:
                progress(done)
    return done
