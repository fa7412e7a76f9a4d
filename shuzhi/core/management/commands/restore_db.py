"""``manage.py restore_db DIR``: restore a backup into an empty database and MEDIA_ROOT, then
verify every table and file against the backup's manifest (``core.backup``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shuzhi.core import backup


class Command(BaseCommand):
    help = "把 backup_db 的备份恢复到一个空数据库和空的上传文件目录，并逐表、逐文件核对。"

    def add_arguments(self, parser):
        parser.add_argument("directory", help="backup_db 写出的备份目录。")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）。")
        parser.add_argument(
            "--media-root", default=None, help="上传文件目录（默认为设置中的 MEDIA_ROOT）。"
        )

    def handle(self, *args, directory: str, database: str, media_root: str | None, **options):
        try:
            done = backup.restore(
                Path(directory),
                media_root=Path(media_root or settings.MEDIA_ROOT),
                alias=database,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复并核对一致：{done.tables} 张表 {done.rows} 行，"
                f"上传文件 {done.files} 个（{done.bytes} 字节）。"
            )
        )
