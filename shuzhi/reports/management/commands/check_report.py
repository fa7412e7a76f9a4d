"""``manage.py check_report FILE``: the report checks on a .docx or .txt report, one JSON
object per check (``check``, ``title``, ``verdict`` ok or warn, ``message``, ``blocking``).

Sections are recognised by the usual headings 一、二、三…; ``--previous`` gives last year's
report so that problems repeated verbatim are found. Nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuzhi.reports.reports import plaintext, quality


def _read(path: Path) -> str:
    if not path.is_file():
        raise CommandError(f"找不到文件：{path}")
    try:
        return plaintext.read_file(path.name, path.read_bytes())
    except plaintext.UnreadableReport as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = "检查一份述职报告（.docx 或 .txt），每项检查输出一行 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="述职报告文件（.docx 或 .txt）")
        parser.add_argument("--previous", help="上年度的述职报告，用来发现照搬上年的问题")

    def handle(self, *args, **options):
        content = plaintext.parse(_read(Path(options["file"])))
        if options.get("previous"):
            content["previous_problems"] = plaintext.previous_problems(
                _read(Path(options["previous"]))
            )
        for check in quality.run_with_limits(content):
            self.stdout.write(json.dumps(verdict_line(check), ensure_ascii=False))


def verdict_line(check: quality.Check) -> dict:
    return {
        "check": check.code,
        "title": check.title,
        "verdict": check.level,
        "message": check.message,
        "blocking": check.blocking,
    }
