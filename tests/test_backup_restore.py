"""Backup and restore rehearsed end to end: a populated database (the demo province, a closed
ballot round, uploaded files) is backed up with ``backup_db``, restored with ``restore_db`` in
a separate process into a fresh database and an empty MEDIA_ROOT, and every table's row count
and content checksum, and every file, is compared with the original.

Runs on PostgreSQL (``pg_dump``/``pg_restore``, which must match the server's major version)
and on SQLite (the online backup API).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from shuzhi.ballots.models import Ballot, BallotRound, BallotRoundStatus
from shuzhi.core import backup
from shuzhi.core.testing import ensure_default_problem_sources, ensure_default_unit_types
from shuzhi.core.tests.samples import pdf_bytes, upload
from shuzhi.rectification import services as problem_services
from shuzhi.rectification.models import ACTIVE_STATUSES, Evidence, Problem

ROOT = Path(__file__).resolve().parent.parent


def _populate(media_root: Path) -> None:
    # An earlier transactional test may have flushed the rows the migrations ship.
    ensure_default_unit_types()
    ensure_default_problem_sources()
    call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))  # noqa: SIM115
    closed = BallotRound.objects.filter(
        status__in=(BallotRoundStatus.CLOSED, BallotRoundStatus.PUBLISHED)
    )
    assert closed.exists() and Ballot.objects.filter(round__in=closed).count() > 100
    carried = Problem.objects.filter(carried_from__isnull=False).values("carried_from_id")
    problem = (
        Problem.objects.filter(status__in=ACTIVE_STATUSES)
        .exclude(pk__in=carried)
        .order_by("id")
        .first()
    )
    assert problem is not None
    problem_services.add_evidence(
        actor=get_user_model().objects.get(username="admin"),
        problem=problem,
        upload=upload("整改报告（备份演练）.pdf", pdf_bytes()),
        note="备份演练",
    )
    assert Evidence.objects.exists()
    assert any(path.is_file() for path in media_root.rglob("*"))


def _fresh_database(tmp_path: Path) -> tuple[str, str]:
    """A new empty database beside the test database: its NAME and its DATABASE_URL."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        return str(path), f"sqlite:///{path}"
    name = f"{settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    user = settings_dict["USER"]
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return name, f"postgres://{user}{password}@{host}{port}/{name}"


def _drop(name: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "shuzhi.settings.test",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.django_db(transaction=True)
def test_a_populated_database_restores_whole(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    _populate(settings.MEDIA_ROOT)
    before = backup.fingerprint(connection)
    files_before = backup.fingerprint_files(settings.MEDIA_ROOT)
    assert before["ballots_ballot"]["rows"] > 100
    assert before["orgs_unit"]["rows"] > 500

    target = tmp_path / "backup"
    call_command("backup_db", str(target), stdout=open(os.devnull, "w"))  # noqa: SIM115
    manifest = backup.read_manifest(target)
    assert manifest["tables"] == before
    assert manifest["files"] == files_before

    name, url = _fresh_database(tmp_path)
    restored_media = tmp_path / "restored-media"
    try:
        done = _manage(
            "restore_db", str(target), "--media-root", str(restored_media), database_url=url
        )
        assert done.returncode == 0, done.stderr
        assert "已恢复并核对一致" in done.stdout
        # Compared again here, independently of the command's own check.
        other = backup.connection_to(name)
        try:
            after = backup.fingerprint(other)
        finally:
            other.close()
        assert after == before
        assert backup.fingerprint_files(restored_media) == files_before
        evidence = Evidence.objects.order_by("-id").first()
        assert evidence is not None
        assert (restored_media / evidence.file.name).read_bytes() == pdf_bytes()

        # A second restore onto the now populated database is refused, touching nothing.
        again = _manage(
            "restore_db", str(target), "--media-root", str(tmp_path / "m2"), database_url=url
        )
        assert again.returncode != 0
        assert "目标数据库不是空的" in again.stderr
    finally:
        _drop(name)


@pytest.mark.django_db
def test_a_backup_never_overwrites_and_a_broken_one_is_refused(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(CommandError, match="已存在且不为空"):
        call_command("backup_db", str(tmp_path / "used"))
    with pytest.raises(CommandError, match="不是有效的备份目录"):
        call_command("restore_db", str(tmp_path / "used"))


def test_the_checksum_sees_every_change_but_not_the_order():
    rows = [(1, "甲", None), (2, "乙", b"\x00")]
    assert backup.table_checksum(rows) == backup.table_checksum(reversed(rows))
    assert backup.table_checksum(rows) != backup.table_checksum([(1, "甲", None), (2, "乙", b"")])
    assert backup.table_checksum(rows)[0] == 2
    assert backup.table_checksum([]) == (0, "0" * 64)
