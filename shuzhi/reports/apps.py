from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """述职报告 (reports), 点评 (critiques) and 整改方案 (rectification plans)."""

    name = "shuzhi.reports"
    verbose_name = "述职报告与点评"

    def ready(self) -> None:
        from shuzhi.core.audit_words import register_parts
        from shuzhi.reports.reports import ledger
        from shuzhi.reports.reports.models import SECTIONS

        ledger.register()
        # A report's saves name the parts that changed (``sections.problems``, ``carried.5``).
        register_parts({f"sections.{code}": label for code, label in SECTIONS})
        register_parts({"carried": "上年度问题", "topics": "必答题", "indicators": "主要指标"})
