"""Back up and restore everything the product keeps: the database and the uploaded files.

A backup is one directory::

    manifest.json      what it holds: database vendor, time, the row count and a content
                       checksum of every table, and the size and SHA-256 of every file
    database.dump      PostgreSQL: ``pg_dump --format=custom``, restored with ``pg_restore``
    database.sqlite3   SQLite: a consistent copy taken with SQLite's online backup API
    media/             a copy of MEDIA_ROOT (evidence, attachments, imports, reports)

``manage.py backup_db DIR`` writes it while the product keeps running; ``manage.py restore_db
DIR`` restores it into an *empty* database and an empty MEDIA_ROOT, then recounts and
re-checksums every table and file against the manifest and fails loudly on any difference —
a restore that reports success is complete.

Consistency: on PostgreSQL the checksums are computed in one repeatable-read transaction
whose snapshot ``pg_dump --snapshot`` shares, so the manifest describes exactly the rows in
the dump even while people keep working. On SQLite the checksums are computed on the copy.
Files are copied after the database: an uploaded file is never changed in place, so every file
a backed-up row names is already there (a file uploaded meanwhile is copied too, harmlessly).

The checksum of a table is order-independent (the sum of the SHA-256 of each row, modulo
2^256), so it can be computed while streaming rows in any order, in constant memory.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA_DIR = "media"
FORMAT_VERSION = 1
_MODULUS = 1 << 256
_CHUNK = 2000


class BackupError(Exception):
    """The backup or the restore could not be done; the message says why, in Chinese."""


def _canonical(value: Any) -> str:
    """A value's text for the checksum, the same on the original and the restored database
    (``bytea`` arrives as a memoryview, whose ``repr`` names a memory address)."""
    if isinstance(value, memoryview | bytes | bytearray):
        return "b:" + bytes(value).hex()
    return repr(value)


def table_checksum(rows: Iterable[Iterable[Any]]) -> tuple[int, str]:
    """``(row count, checksum)`` of ``rows`` in any order."""
    count = 0
    total = 0
    for row in rows:
        digest = hashlib.sha256("\x1f".join(_canonical(v) for v in row).encode()).digest()
        total = (total + int.from_bytes(digest, "big")) % _MODULUS
        count += 1
    return count, f"{total:064x}"


def _stream(cursor, sql: str) -> Iterable[tuple]:
    cursor.execute(sql)
    while rows := cursor.fetchmany(_CHUNK):
        yield from rows


def fingerprint_tables(
    cursor_factory: Callable[[], Any], quote: Callable[[str], str], tables: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """``{table: {"rows": n, "checksum": hex}}`` for ``tables``, reading each through a new
    cursor from ``cursor_factory`` (any DB-API connection's ``cursor``)."""
    result = {}
    for table in sorted(tables):
        cursor = cursor_factory()
        try:
            rows, checksum = table_checksum(_stream(cursor, f"SELECT * FROM {quote(table)}"))
        finally:
            cursor.close()
        result[table] = {"rows": rows, "checksum": checksum}
    return result


def fingerprint(connection: BaseDatabaseWrapper) -> dict[str, dict[str, Any]]:
    """Row count and checksum of every table of the database behind ``connection``.

    Rows are read through Django's connection on both sides of a backup, so values arrive as
    the same Python types (Django's loaders differ from a bare driver's: JSON as text, …)."""
    tables = connection.introspection.table_names()
    # A server-side cursor on PostgreSQL, so a large table is streamed, not loaded whole.
    return fingerprint_tables(connection.chunked_cursor, connection.ops.quote_name, tables)


def connection_to(name: str, alias: str = "default") -> BaseDatabaseWrapper:
    """A separate connection, configured like ``alias``, to the database ``name`` (another
    PostgreSQL database on the same server, or another SQLite file). Close it when done."""
    source = connections[alias]
    settings_dict = {**source.settings_dict, "NAME": name}
    if source.vendor == "sqlite":
        settings_dict["OPTIONS"] = {}  # no WAL switch on a backup file
    return source.__class__(settings_dict, alias=f"{alias}-other")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_files(root: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"bytes": size, "sha256": hex}}`` of every file under ``root``."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): {
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
        }
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """The libpq environment naming the database of ``settings_dict`` (the password stays out
    of the command line, where ``ps`` would show it)."""
    env = dict(os.environ)
    pairs = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": (settings_dict.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({key: str(value) for key, value in pairs.items() if value})
    return env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"找不到 {name}：请安装与数据库服务器主版本一致的 PostgreSQL 客户端"
            "（Debian：apt-get install postgresql-client）。"
        )
    return tool


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败：{done.stderr.strip()[-2000:]}")


def _backup_postgresql(alias: str, target: Path) -> dict[str, dict[str, Any]]:
    connection = connections[alias]
    pg_dump = _pg_tool("pg_dump")
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        dump = subprocess.Popen(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-owner",
                "--no-privileges",
                f"--file={target / PG_DUMP_FILE}",
            ],
            env=_pg_env(connection.settings_dict),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            tables = fingerprint(connection)
        finally:
            _stdout, stderr = dump.communicate()
    if dump.returncode != 0:
        raise BackupError(f"pg_dump 失败：{stderr.strip()[-2000:]}")
    return tables


def _restore_postgresql(alias: str, source: Path) -> None:
    connection = connections[alias]
    command = [
        _pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={connection.settings_dict['NAME']}",
        str(source / PG_DUMP_FILE),
    ]
    connection.close()
    _run(command, _pg_env(connection.settings_dict))


# --- SQLite -----------------------------------------------------------------------------------


def _backup_sqlite(alias: str, target: Path) -> dict[str, dict[str, Any]]:
    connection = connections[alias]
    connection.ensure_connection()
    path = target / SQLITE_FILE
    copy = sqlite3.connect(path)
    try:
        # The online backup API copies a consistent image page by page while others write.
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
    copied = connection_to(str(path), alias)
    try:
        return fingerprint(copied)
    finally:
        copied.close()


def _restore_sqlite(alias: str, source: Path) -> None:
    connection = connections[alias]
    connection.close()
    backup = sqlite3.connect(source / SQLITE_FILE)
    target = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        backup.backup(target)
    finally:
        target.close()
        backup.close()


# --- the commands' work -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a backup or a restore did, for the command to report."""

    directory: Path
    tables: int
    rows: int
    files: int
    bytes: int


def _summary(directory: Path, manifest: dict) -> Outcome:
    tables = manifest["tables"]
    files = manifest["files"]
    return Outcome(
        directory=directory,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        files=len(files),
        bytes=sum(f["bytes"] for f in files.values()),
    )


def backup(directory: Path, *, media_root: Path, alias: str = "default") -> Outcome:
    """Write a backup of the database ``alias`` and of ``media_root`` into ``directory``,
    which must not exist yet or be empty."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"备份目录 {directory} 已存在且不为空：请指定一个新目录。")
    directory.mkdir(parents=True, exist_ok=True)
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        tables = _backup_postgresql(alias, directory)
    elif vendor == "sqlite":
        tables = _backup_sqlite(alias, directory)
    else:
        raise BackupError(f"不支持备份 {vendor} 数据库。")
    if media_root.is_dir():
        shutil.copytree(media_root, directory / MEDIA_DIR)
    else:
        (directory / MEDIA_DIR).mkdir()
    manifest = {
        "format": FORMAT_VERSION,
        "vendor": vendor,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "tables": tables,
        # Checksummed from the copy: the manifest describes what the backup holds.
        "files": fingerprint_files(directory / MEDIA_DIR),
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return _summary(directory, manifest)


def read_manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{directory} 不是有效的备份目录（无法读取 {MANIFEST}）。") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"不认识的备份格式版本：{manifest.get('format')!r}。")
    return manifest


def differences(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    """Every table or file whose count or checksum differs, as readable lines."""
    lines = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            lines.append(f"缺少：{name}")
        elif name not in expected:
            lines.append(f"多出：{name}")
        elif expected[name] != found[name]:
            lines.append(f"不一致：{name}（备份 {expected[name]}，恢复后 {found[name]}）")
    return lines


def restore(directory: Path, *, media_root: Path, alias: str = "default") -> Outcome:
    """Restore the backup in ``directory`` into the empty database ``alias`` and the empty
    ``media_root``, then verify every table and file against the manifest."""
    manifest = read_manifest(directory)
    connection = connections[alias]
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"这是 {manifest['vendor']} 数据库的备份，不能恢复到 {connection.vendor} 数据库。"
        )
    if connection.introspection.table_names():
        raise BackupError("目标数据库不是空的：请恢复到一个新建的空数据库，以免覆盖现有数据。")
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"上传文件目录 {media_root} 不是空的：请指定一个空目录。")
    if connection.vendor == "postgresql":
        _restore_postgresql(alias, directory)
    else:
        _restore_sqlite(alias, directory)
    media_root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(directory / MEDIA_DIR, media_root, dirs_exist_ok=True)
    problems = differences(manifest["tables"], fingerprint(connection))
    problems += differences(manifest["files"], fingerprint_files(media_root))
    if problems:
        raise BackupError("恢复后的数据与备份清单不一致：\n" + "\n".join(problems))
    return _summary(directory, manifest)
