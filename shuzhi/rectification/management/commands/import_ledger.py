"""``manage.py import_ledger FILE --host CODE [--year YEAR] [--mapping NAME] [--update]
[--dry-run] [--user USERNAME]``.

Imports a county's ledger as the web page does, without the page: prints how each column of
the file was mapped (by the synonyms, or by the mapping saved under NAME for the host unit),
then the row report. ``--dry-run`` checks every row and writes nothing. Exits non-zero when
a required field has no column or a row is refused.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzhi.core import clock
from shuzhi.core.bulk.sheets import TabularError
from shuzhi.orgs.management.commands.import_units import command_user
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification import ledger_import
from shuzhi.rectification.ledger_import import layout
from shuzhi.rectification.ledger_import import preview as ledger_preview
from shuzhi.rectification.models import LedgerImport


class Command(BaseCommand):
    help = "导入问题台账（.xlsx、.csv 或 Unicode 文本），先列出各列的对应关系，再逐行报告。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="台账文件（.xlsx、.csv 或 .txt）")
        parser.add_argument("--host", required=True, help="导入范围：组织代码")
        parser.add_argument("--year", type=int, help="台账年度（默认：今年）")
        parser.add_argument("--mapping", help="使用该组织保存的列对应方案（名称）")
        parser.add_argument("--update", action="store_true", help="按序号更新已有问题")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入任何数据")
        parser.add_argument("--user", help="以该用户的身份和权限导入（默认：第一个超级管理员）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = command_user(options["user"])
        host = Unit.objects.filter(code=options["host"]).first()
        if host is None:
            raise CommandError(f"组织代码不存在：{options['host']}")
        year = options["year"] or clock.today().year
        try:
            with path.open("rb") as stream:
                rows = ledger_import.read_ledger(path.name, stream)
            if options["mapping"]:
                saved = ledger_preview.mappings_for(host).filter(name=options["mapping"]).first()
                if saved is None:
                    raise CommandError(f"“{host.name}”没有名为“{options['mapping']}”的列对应方案。")
                with path.open("rb") as stream:
                    rows = ledger_import.read_ledger(
                        path.name, stream, ledger_preview.keys_of_mapping(saved, rows)
                    )
        except TabularError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"列对应（表头在第 {rows.header_number} 行结束）：")
        for column in rows.layout:
            target = layout.label_of(column.key) if column.key else "不使用"
            self.stdout.write(f"  第{column.position + 1}列 {column.title} → {target}")
        absent = layout.missing_message(rows.keys, [c.title for c in rows.layout])
        if absent:
            raise CommandError(absent)
        if options["dry_run"]:
            self._dry_run(rows, actor=actor, host=host, year=year, update=options["update"])
            return
        try:
            job = ledger_import.create_import(
                actor=actor,
                unit=host,
                year=year,
                file_name=path.name,
                content=path.read_bytes(),
                enqueue=False,
                mapping=rows.keys,
                update_existing=options["update"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("；".join(messages)) from exc
        job = ledger_import.run_import(job.pk)
        if job.status != LedgerImport.Status.DONE:
            for row, column, message in job.errors:
                self.stdout.write(f"  第 {row} 行 {column}：{message}" if row else f"  {message}")
            raise CommandError(f"共 {job.total_rows} 行，发现 {len(job.errors)} 处问题，未导入。")
        for _row, _column, message in job.errors:
            self.stdout.write(f"  {message}")
        self.stdout.write(
            f"导入完成：共 {job.total_rows} 行，新增问题 {job.created_count} 个，"
            f"按序号更新 {job.updated_count} 个（导入#{job.pk}）。"
        )

    def _dry_run(self, rows, *, actor, host: Unit, year: int, update: bool) -> None:
        try:
            plan = ledger_import.plan_ledger(
                rows, actor=actor, scope=host, year=year, update=update
            )
        except ledger_import.ImportRefused as refused:
            errors = list(refused.errors)
            new = updating = 0
        else:
            errors = plan.errors
            new, updating = plan.total_rows - plan.updating, plan.updating
        for error in errors:
            where = f"第 {error.row} 行 {error.column}：" if error.row else ""
            self.stdout.write(f"  {where}{error.message}")
        self.stdout.write(
            f"共 {len(rows)} 行：可新增 {new} 行，按序号对应已有问题 {updating} 行，"
            f"发现 {len(errors)} 处问题。演练，未写入任何数据。"
        )
        if errors:
            raise CommandError("有问题的行须先改正。")
