"""``manage.py check_critique FILE``: the critique check on a .txt critique, one JSON object
per check (``check``, ``title``, ``verdict`` ok or warn, ``message``). ``--unit`` names the
unit the critique speaks to (its own name does not make a problem concrete). Nothing is
stored."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuzhi.reports.critiques import services
from shuzhi.reports.reports import plaintext


class Command(BaseCommand):
    help = "检查一份点评意见（.txt），每项检查输出一行 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="点评意见文件（.txt）")
        parser.add_argument("--unit", default="", help="被点评的单位名称")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            text = plaintext.decode(path.read_bytes())
        except plaintext.UnreadableReport as exc:
            raise CommandError(str(exc)) from exc
        check = services.text_check(text, unit=options["unit"])
        line = {
            "check": check.code,
            "title": check.label,
            "verdict": check.verdict,
            "message": check.message,
        }
        self.stdout.write(json.dumps(line, ensure_ascii=False))
