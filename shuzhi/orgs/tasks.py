"""Background tasks of the organisation app (django-tasks).

Tests run them at once (ImmediateBackend); development and production queue them in the
database and ``manage.py db_worker`` runs them.
"""

from __future__ import annotations

from django_tasks import task

from shuzhi.orgs.imports.units import run_job


@task()
def run_import_job(job_id: int) -> str:
    """Run one unit import job; the job row records its progress and result.

    New jobs are queued as ``shuzhi.core.bulk.jobs.run_import_job``; this task runs the jobs
    queued under its name before, through the same runner.
    """
    return run_job(job_id).status
