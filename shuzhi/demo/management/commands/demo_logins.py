"""``manage.py demo_logins``: print the address and the demo sign-ins, in Chinese and English."""

from __future__ import annotations

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from shuzhi.accounts import demo as account_demo
from shuzhi.accounts.models import Grant, Role
from shuzhi.orgs import demo

ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "系统管理员 Administrator",
    Role.ORGANISER: "组织部门工作人员 Organiser",
    Role.SECRETARY: "书记 Secretary",
    Role.INSPECTOR: "督查人员 Inspector",
    Role.LEADER: "班子成员 Leadership-team member",
    Role.VIEWER: "只读查看 Viewer",
}


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = "显示演示环境的访问地址和演示账号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="访问地址（默认 %(default)s）"
        )

    def handle(self, *args, url: str, **options):
        logins = account_demo.demo_logins()
        users = {
            user.username: user
            for user in get_user_model().objects.filter(
                username__in=[login.username for login in logins]
            )
        }
        if not demo.is_seeded() and not users:
            self.stdout.write(
                self.style.WARNING(
                    "尚未载入演示数据，请先运行：python manage.py seed_demo\n"
                    "The demo has not been seeded; run: python manage.py seed_demo"
                )
            )
            return
        scopes = {
            (grant.user.username, grant.role): grant.unit.name
            for grant in Grant.objects.filter(user__in=users.values()).select_related(
                "user", "unit"
            )
        }
        rows = [("用户名 Username", "密码 Password", "角色 Role", "范围 Scope")]
        for login in logins:
            user = users.get(login.username)
            if user is None:
                password = "（账号不存在 missing）"
            elif user.check_password(demo.DEMO_PASSWORD):
                password = demo.DEMO_PASSWORD
            else:
                password = "（已修改 changed）"
            if login.superuser:
                scope = "全部组织 All units"
            else:
                scope = scopes.get((login.username, login.role), "（无授权 no grant）")
            rows.append((login.username, password, ROLE_LABELS[login.role], scope))
        widths = [max(_width(row[i]) for row in rows) + 2 for i in range(4)]

        self.stdout.write("述职评议考核 · 演示环境 / Shuzhi demo")
        self.stdout.write(f"访问地址 URL: {url}")
        self.stdout.write("")
        for number, row in enumerate(rows):
            line = "".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if number == 0:
                self.stdout.write("-" * sum(widths))
        self._reporter_accounts()
        self.stdout.write("")
        self.stdout.write(
            f"演示密码“{demo.DEMO_PASSWORD}”仅用于本机演示，切勿用于生产环境。\n"
            f"The password {demo.DEMO_PASSWORD!r} is for local demos only; "
            "never use it in production."
        )

    def _reporter_accounts(self) -> None:
        """The secretaries who write reports (and the host secretary who critiques) sign in as
        ``sj`` + their unit's code; show a few so a newcomer can try the writing side."""
        grants = list(
            Grant.objects.filter(user__username__startswith="sj", role=Role.SECRETARY)
            .select_related("user", "unit")
            .order_by("unit__depth", "unit__code")[:4]
        )
        if not grants:
            return
        self.stdout.write("")
        self.stdout.write("述职书记账号（密码同上）/ Reporting secretaries (same password):")
        for grant in grants:
            self.stdout.write(
                f"  {grant.user.username:<12} {grant.user.display_name} · {grant.unit.name}"
            )
        total = Grant.objects.filter(user__username__startswith="sj", role=Role.SECRETARY).count()
        if total > len(grants):
            self.stdout.write(
                f"  …共 {total} 个，用户名为 sj + 组织代码 / {total} in all: sj + unit code"
            )
