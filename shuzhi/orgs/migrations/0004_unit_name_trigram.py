"""On PostgreSQL, a trigram index so name-contains search does not read the whole tree.

SQLite (the embedded default) has no such index; its trees are small enough to scan.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS orgs_unit_name_trgm ON orgs_unit "
            "USING gin (name gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orgs_unit_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_import_job")]
    operations = [migrations.RunPython(forwards, backwards)]
