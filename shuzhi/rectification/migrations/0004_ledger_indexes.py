"""On PostgreSQL, the indexes that keep the ledger fast with a million problems.

- ``rect_problem_year_path_cover``: a year's problems of a subtree (``year = … AND unit_path
  LIKE '/1/17/%'``) with the columns the summary groups by, so the summary reads the index
  alone (an index-only scan) instead of fetching every row of a province;
- ``rect_problem_desc_trgm``: a trigram index on ``UPPER(description)`` (the form Django's
  ``icontains`` takes on PostgreSQL) so searching the description for a word of three
  characters or more does not read the whole table (needs the pg_trgm extension, already
  created by orgs 0004 where the database allows it);
- ``rect_problem_person_name`` / ``rect_problem_leader_name``: the "responsible person's name
  starts with" filter;
- ``rect_problem_year_deadline``: a year's list ordered by deadline (完成时限最早在前);
- ``rect_problem_year_status_source``: a year's list filtered by status, source and severity,
  whose count would otherwise read the whole year.

They are created with SQL rather than ``Meta.indexes`` because two of them are
PostgreSQL-only (INCLUDE columns, a GIN operator class); SQLite (the embedded default) has
small ledgers and the plain indexes of the model. Figures: ``bench/ledger_pages.py``.
"""

import sys

from django.db import DatabaseError, migrations, transaction

INDEXES = [
    (
        "rect_problem_year_path_cover",
        "(year, unit_path varchar_pattern_ops) INCLUDE (source_id, status, severity, deadline)",
    ),
    ("rect_problem_person_name", "(responsible_person_name varchar_pattern_ops)"),
    ("rect_problem_leader_name", "(responsible_leader_name varchar_pattern_ops)"),
    ("rect_problem_year_deadline", "(year, deadline, id)"),
    ("rect_problem_year_status_source", "(year, status, source_id, severity)"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON rectification_problem {columns}"
        )
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        sys.stderr.write(
            "pg_trgm is not available: problem description search will not use a trigram "
            "index. Run CREATE EXTENSION pg_trgm as a superuser and migrate rectification 0003 "
            "then 0004 again.\n"
        )
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS rect_problem_desc_trgm ON rectification_problem "
        "USING gin (UPPER(description) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _columns in [*INDEXES, ("rect_problem_desc_trgm", "")]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("rectification", "0003_default_sources")]
    operations = [migrations.RunPython(forwards, backwards)]
