"""``manage.py export_units CODE FILE [--user USERNAME]``.

Writes the unit ``CODE`` and its subtree in the import format; ``.csv`` (UTF-8 with BOM) or
``.xlsx`` by the file's extension. Runs as ``--user`` (only what that user may export), by
default the first superuser.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from shuzhi.orgs.imports import exporting
from shuzhi.orgs.management.commands.import_units import command_user


class Command(BaseCommand):
    help = "把一个组织及其下级导出为 CSV 或 XLSX（与导入格式相同）。"

    def add_arguments(self, parser):
        parser.add_argument("code", help="组织代码")
        parser.add_argument("file", help="输出文件，.csv 或 .xlsx")
        parser.add_argument("--user", help="以该用户的权限导出（默认：第一个超级管理员）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        file_format = path.suffix.lower().lstrip(".")
        if file_format not in exporting.FORMATS:
            raise CommandError("输出文件的扩展名必须是 .csv 或 .xlsx。")
        actor = command_user(options["user"])
        try:
            unit = exporting.unit_for_export(actor, options["code"])
        except Http404:
            raise CommandError(f"没有找到代码为“{options['code']}”且可导出的组织。") from None
        data = exporting.export_units(actor=actor, unit=unit, file_format=file_format)
        path.write_bytes(data)
        rows = data.count(b"\n") - 1 if file_format == "csv" else None
        suffix = f"，共 {rows} 个组织" if rows is not None else ""
        self.stdout.write(f"已导出“{unit.name}”及其下级到 {path}{suffix}。")
