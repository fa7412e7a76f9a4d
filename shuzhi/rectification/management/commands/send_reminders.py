"""``manage.py send_reminders``: send today's rectification reminders now, or queue the daily
job for the background worker."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from shuzhi.rectification import reminder_tasks
from shuzhi.rectification.reminders import run_reminders


class Command(BaseCommand):
    help = "发送整改到期提醒、逾期提醒和逾期上报；或将每日提醒任务排入后台队列。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="按指定日期（YYYY-MM-DD）计算到期与逾期，默认今天。",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="不在本进程发送，而是把每日提醒任务排入后台队列（已排队时什么也不做）。",
        )

    def handle(self, *args, today: str | None, enqueue: bool, **options):
        if enqueue:
            if reminder_tasks.ensure_scheduled(run_now=True):
                self.stdout.write("已将每日提醒任务排入后台队列。")
            else:
                self.stdout.write("每日提醒任务已在队列中，无需重复排队。")
            return
        day = None
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError as exc:
                raise CommandError("--today 须为 YYYY-MM-DD 格式的日期。") from exc
        counts = run_reminders(today=day)
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['today']}：到期前提醒 {counts['before']} 项，逾期提醒 "
                f"{counts['overdue']} 项，逾期上报 {counts['escalated']} 项，"
                f"站内提醒 {counts['notifications']} 条（其中发邮件 {counts['emails']} 条）。"
            )
        )
