"""Publish a long job's progress while it runs inside its own transaction.

Outside a transaction this is a plain ``UPDATE`` of the job row. Inside one (an import writes
everything in one transaction, so nothing partial is ever stored), PostgreSQL gets the update
through a second connection — at most twice a second — so the job page can show progress
before the import commits. SQLite has one writer, so there it reports between phases only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

logger = logging.getLogger(__name__)


class JobProgress:
    """Progress of one row of ``model`` (an import job), published as described above."""

    def __init__(self, job: models.Model):
        self.model = type(job)
        self.job_id = job.pk
        self._side: Any = None  # the second database connection, opened when first needed
        self._last = 0.0
        self._pending: dict[str, Any] = {}

    def set(self, *, force: bool = False, **values: Any) -> None:
        self._pending.update(values)
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        values, self._pending = self._pending, {}
        if not connection.in_atomic_block:
            self.model._default_manager.filter(pk=self.job_id).update(**values)
            return
        if connection.vendor != "postgresql":
            return
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            table = connection.ops.quote_name(self.model._meta.db_table)
            assignments = ", ".join(
                f"{connection.ops.quote_name(self._column(name))} = %s" for name in values
            )
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE id = %s",
                    [*values.values(), self.job_id],
                )
        except Exception:  # progress is a courtesy; the job must not fail for it
            logger.warning("Could not publish job progress.", exc_info=True)

    def _column(self, name: str) -> str:
        field = self.model._meta.get_field(name)
        return getattr(field, "column", None) or name

    def close(self) -> None:
        """Close the second connection (call it in ``finally``)."""
        if self._side is not None:
            self._side.close()
            self._side = None
