"""The environment helpers refuse bad values and read database URLs as documented."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from shuzhi.settings.env import database_from_url, env_bool, env_int

BASE = Path("/project")


def test_sqlite_paths_relative_and_absolute():
    relative = database_from_url("sqlite:///var/x.sqlite3", base_dir=BASE)
    assert relative["NAME"] == "/project/var/x.sqlite3"
    absolute = database_from_url("sqlite:////srv/x.sqlite3", base_dir=BASE)
    assert absolute["NAME"] == "/srv/x.sqlite3"
    assert "synchronous=FULL" in absolute["OPTIONS"]["init_command"]


def test_postgres_url():
    db = database_from_url("postgres://u:p%40ss@db.example:5433/shuzhi", base_dir=BASE)
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u",
        "p@ss",
        "db.example",
        "5433",
        "shuzhi",
    )


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "sqlite:///"])
def test_bad_database_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url, base_dir=BASE)


def test_bad_bool_and_int_are_refused(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_NUM", 5, minimum=1)
