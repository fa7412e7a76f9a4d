"""On PostgreSQL, a trigram index so name-contains search does not read the whole tree.

SQLite (the embedded default) has no such index; its trees are small enough to scan. Where the
pg_trgm extension is not installed or the database user may not create it, the migration goes
on without the index (search still works, only slower) and says so.
"""

import sys

from django.db import DatabaseError, migrations, transaction


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        sys.stderr.write(
            "pg_trgm is not available: unit name search will not use a trigram index. "
            "Run CREATE EXTENSION pg_trgm as a superuser and migrate orgs 0003 then 0004 again.\n"
        )
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS orgs_unit_name_trgm ON orgs_unit USING gin (name gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orgs_unit_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_import_job")]
    operations = [migrations.RunPython(forwards, backwards)]
