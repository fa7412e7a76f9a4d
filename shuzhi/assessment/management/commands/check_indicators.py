"""``manage.py check_indicators FILE``: judge an indicator list, one JSON object per item.

Each line has ``row``, ``name``, ``verdict`` (``ok`` or ``refuse``), ``measures`` (trace, app,
outcome or unclear), the one-sentence ``message``, the deciding ``words`` and the outcome
``rewording`` offered for a refused item. Nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuzhi.assessment.indicators import governance
from shuzhi.assessment.indicators.lists import read_indicator_list
from shuzhi.core.bulk.sheets import TabularError


class Command(BaseCommand):
    help = "检查指标清单（.xlsx 或 .csv，含“指标名称”列，可选“评分标准”列），每项输出一行 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="指标清单文件（.xlsx 或 .csv）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            with path.open("rb") as stream:
                rows = read_indicator_list(path.name, stream)
        except TabularError as exc:
            raise CommandError(str(exc)) from exc
        for number, name, standard in rows:
            line = {"row": number, **governance.explain_row(name, standard)}
            self.stdout.write(json.dumps(line, ensure_ascii=False))
