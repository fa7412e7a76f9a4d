"""``manage.py import_units FILE [--good-rows-only] [--user USERNAME]``.

Runs the same import job as the web page, in the foreground: the file is stored under
``MEDIA_ROOT/imports/``, every row is checked, and the units are written in one transaction.
Prints the counts on success; prints the error report and exits non-zero when nothing could be
imported. Runs as ``--user`` (with that user's permissions), by default the first superuser.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportStatus
from shuzhi.orgs.imports.tabular import RowError, errors_as_csv


def command_user(username: str | None):
    """The named active user, or the first superuser when no name is given."""
    User = get_user_model()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在或已停用：{username}")
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("系统中还没有超级管理员，请用 --user 指定以哪个用户的身份运行。")
    return user


class Command(BaseCommand):
    help = "从 CSV 或 XLSX 文件导入组织（列：code,name,parent_code,type，可选 short_name）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="CSV（UTF-8、GB18030 或 UTF-16 Unicode 文本）或 .xlsx 文件；格式按扩展名判断",
        )
        parser.add_argument(
            "--good-rows-only",
            action="store_true",
            help="只导入无误的行（默认：有一行有误就全部不导入）",
        )
        parser.add_argument("--user", help="以该用户的身份和权限导入（默认：第一个超级管理员）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = command_user(options["user"])
        try:
            job = importing.import_file(
                actor=actor, path=path, good_rows_only=options["good_rows_only"]
            )
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("；".join(messages)) from exc
        errors = [RowError(*error) for error in job.errors]
        if job.error_count:
            report = errors_as_csv(errors).decode("utf-8-sig")
            self.stderr.write(report.rstrip("\r\n"))
            if job.error_count > len(errors):
                self.stderr.write(
                    f"……共 {job.error_count} 处问题，完整清单见 {job.error_report.path}"
                )
        if job.status != ImportStatus.DONE:
            raise CommandError(
                f"导入失败（导入#{job.pk}）：发现 {job.error_count} 处问题，未导入任何数据。"
            )
        self.stdout.write(
            f"导入完成（导入#{job.pk}）：共 {job.total_rows} 行，新建 {job.created_count} 个，"
            f"更新 {job.updated_count} 个，未变 {job.unchanged_count} 个"
            + (f"；另有 {job.error_count} 处问题，相关的行未导入。" if job.error_count else "。")
        )
