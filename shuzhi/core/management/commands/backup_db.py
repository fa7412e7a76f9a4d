"""``manage.py backup_db DIR``: back up the database and the uploaded files (``core.backup``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shuzhi.core import backup


class Command(BaseCommand):
    help = (
        "备份数据库和上传文件到一个新目录（PostgreSQL 用 pg_dump，SQLite 用在线备份），"
        "可在运行中备份。"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="备份目录：不存在或为空。")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）。")
        parser.add_argument(
            "--media-root", default=None, help="上传文件目录（默认为设置中的 MEDIA_ROOT）。"
        )

    def handle(self, *args, directory: str, database: str, media_root: str | None, **options):
        try:
            done = backup.backup(
                Path(directory),
                media_root=Path(media_root or settings.MEDIA_ROOT),
                alias=database,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {done.directory}：{done.tables} 张表 {done.rows} 行，"
                f"上传文件 {done.files} 个（{done.bytes} 字节）。"
            )
        )
