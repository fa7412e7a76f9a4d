from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """述职报告 (reports), 点评 (critiques) and 整改方案 (rectification plans)."""

    name = "shuzhi.reports"
    verbose_name = "述职报告与点评"

    def ready(self) -> None:
        from shuzhi.reports.reports import ledger

        ledger.register()
