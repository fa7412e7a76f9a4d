"""``manage.py seed_demo``: load the demo province, its secretaries and the demo sign-ins."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from shuzhi.assessment.demo import seed_assessment_demo
from shuzhi.demo.ledger import seed_ledger_demo
from shuzhi.demo.voting import vote_on_phones
from shuzhi.field.demo import seed_field_demo
from shuzhi.meetings.demo import seed_round_demo
from shuzhi.orgs import demo
from shuzhi.orgs.tree.models import Unit
from shuzhi.rectification.import_demo import seed_import_demo
from shuzhi.rectification.reminder_tasks import ensure_scheduled
from shuzhi.yearplan.demo import seed_yearplan_demo


class Command(BaseCommand):
    help = "载入演示数据：一个省的组织树、书记任职和各角色的演示账号（仅用于演示）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="已有组织数据时什么也不做（make demo 重复运行时沿用现有数据）。",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help=f"规模系数，1.0 约 2.7 万个组织；测试可用 0.05（范围 0–{demo.MAX_SCALE:g}）。",
        )

    def handle(self, *args, if_empty: bool, scale: float, **options):
        if if_empty and Unit.objects.exists():
            self.stdout.write(
                "已有组织数据，未载入演示数据。/ Units already exist; demo data not loaded."
            )
            self._seed_history()
            return
        if not 0 < scale <= demo.MAX_SCALE:
            raise CommandError(f"--scale 必须大于 0 且不超过 {demo.MAX_SCALE:g}。")
        started = time.monotonic()
        try:
            result = demo.seed(scale=scale)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入演示数据：组织 {result.units} 个，人员 {result.people} 名，"
                f"任职 {result.posts} 条，账号 {result.users} 个，用时 {elapsed:.1f} 秒。"
            )
        )
        self.stdout.write(
            f"Demo data loaded: {result.units} units, {result.people} people, "
            f"{result.posts} posts, {result.users} users in {elapsed:.1f} s."
        )
        self._seed_history()

    def _seed_history(self) -> None:
        """The rounds, then a year of problems, reports and critiques, then the 2025 grading
        (each skipped when already there), and the first run of the daily reminders for the
        worker."""
        seed_round_demo(self.stdout, during_2025_meeting=vote_on_phones)
        started = time.monotonic()
        if seed_ledger_demo(self.stdout) is not None:
            self.stdout.write(f"（整改台账与述职报告用时 {time.monotonic() - started:.1f} 秒）")
        seed_import_demo(self.stdout)
        started = time.monotonic()
        if seed_assessment_demo(self.stdout) is not None:
            self.stdout.write(f"（考核评定用时 {time.monotonic() - started:.1f} 秒）")
        started = time.monotonic()
        if seed_yearplan_demo(self.stdout) is not None:
            self.stdout.write(f"（年度重点任务用时 {time.monotonic() - started:.1f} 秒）")
        seed_field_demo(self.stdout)
        if ensure_scheduled(run_now=True):
            self.stdout.write("已将每日整改提醒任务排入后台队列。")
