"""The table of the ``throttle`` cache (settings ``CACHES``), shared by every worker.

``createcachetable`` creates the table of each database cache in ``CACHES`` that is missing and
does nothing for other backends, so the step is safe to run again and on any configuration.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_notifications_task_runs")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
