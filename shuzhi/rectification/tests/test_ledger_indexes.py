"""The ledger's PostgreSQL indexes exist after migrating (bench/ledger_pages.py relies on them)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL-only indexes")
def test_ledger_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'rectification_problem'")
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "rect_problem_year_path_cover",
        "rect_problem_person_name",
        "rect_problem_leader_name",
        "rect_problem_year_deadline",
        "rect_problem_year_status_source",
    } <= names
    cursor = connection.cursor()
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if cursor.fetchone():
        assert "rect_problem_desc_trgm" in names
