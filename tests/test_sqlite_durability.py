"""On the SQLite default an acknowledged ballot survives a power cut: every connection runs
in WAL mode with ``synchronous=FULL`` (2), so a commit returns only after the WAL is synced.

The test database of an SQLite run is in memory (journal mode ``memory``), so the checks open
a real file through Django's SQLite backend with the configured connection options.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from shuzhi.settings.env import database_from_url

pytestmark = pytest.mark.smoke


def _pragmas(settings_dict: dict, name: str, blocker) -> tuple[str, int]:
    config = {
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
        **settings_dict,
        "NAME": name,
    }
    wrapper = DatabaseWrapper(config, alias="durability")
    try:
        with blocker.unblock(), wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            (journal_mode,) = cursor.fetchone()
            cursor.execute("PRAGMA synchronous")
            (synchronous,) = cursor.fetchone()
    finally:
        wrapper.close()
    return journal_mode.lower(), synchronous


def test_the_configured_sqlite_connection_uses_wal_with_full_sync(tmp_path, django_db_blocker):
    if connection.vendor != "sqlite":
        pytest.skip("DATABASE_URL is not SQLite; PostgreSQL commits are durable (fsync) already")
    settings_dict = {k: v for k, v in connection.settings_dict.items() if k != "NAME"}
    name = str(tmp_path / "ballots.sqlite3")
    assert _pragmas(settings_dict, name, django_db_blocker) == ("wal", 2)


def test_a_sqlite_database_url_opens_wal_with_full_sync(tmp_path, django_db_blocker):
    config = database_from_url(f"sqlite:///{tmp_path}/ballots.sqlite3", base_dir=tmp_path)
    # The ballot path writes in a transaction that takes the write lock at once.
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert _pragmas(config, config["NAME"], django_db_blocker) == ("wal", 2)
