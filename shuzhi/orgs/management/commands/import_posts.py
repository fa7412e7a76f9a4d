"""``manage.py import_posts FILE [--user USERNAME] [--good-rows-only]``.

Checks every row first and prints the report of bad rows; exits non-zero when anything was
refused. With ``--user`` the import runs with that user's permissions and is recorded under
their name; without it, it runs as the installation (recorded as a command-line import).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzhi.orgs.imports import posts as posts_import
from shuzhi.orgs.imports.tabular import TabularError, read_table


class Command(BaseCommand):
    help = "从 CSV 或 XLSX 文件导入职务（先检查全部行，有误则不导入）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV（UTF-8、GB18030 或 UTF-16 Unicode 文本）或 .xlsx 文件"
        )
        parser.add_argument("--user", help="以该用户的权限导入，并记入其名下")
        parser.add_argument(
            "--good-rows-only",
            action="store_true",
            help="只导入无误的行（默认：有一行有误就全部不导入）",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = None
        if options["user"]:
            User = get_user_model()
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"用户不存在或已停用：{options['user']}") from None
        try:
            with path.open("rb") as stream:
                table = read_table(path.name, stream)
        except TabularError as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = posts_import.import_posts(
                table, actor, good_rows_only=options["good_rows_only"]
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        for error in result.errors:
            column = f"[{error.column}] " if error.column else ""
            self.stderr.write(f"第 {error.row} 行：{column}{error.message}")
        if result.written:
            counts = result.counts
            self.stdout.write(
                f"新增人员 {counts['people_created']} 人，新增职务 {counts['posts_created']} 条，"
                f"更新 {counts['posts_updated']} 条，未变 {counts['posts_unchanged']} 条，"
                f"跳过 {counts['rows_skipped']} 行。"
            )
        if result.errors:
            bad = len({e.row for e in result.errors})
            if result.written:
                raise CommandError(f"{bad} 行有误，已跳过；其余行已导入。")
            raise CommandError(f"{bad} 行有误，未导入任何数据。")
