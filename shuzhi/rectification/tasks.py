"""Background tasks of the rectification ledger (django-tasks).

Tests run them at once (ImmediateBackend); development and production queue them in the
database and ``manage.py db_worker`` runs them.
"""

from __future__ import annotations

from django_tasks import task

from .ledger_import import run_import


@task()
def run_ledger_import(import_id: int) -> str:
    """Run one ledger import; the ``LedgerImport`` row records its progress and result.

    New jobs are queued as ``shuzhi.core.bulk.jobs.run_import_job``; this task runs the jobs
    queued under its name before, through the same runner.
    """
    return run_import(import_id).status
