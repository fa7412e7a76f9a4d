from django.apps import AppConfig


class CyclesConfig(AppConfig):
    """The annual round (年度述职评议考核): who reports to whom, and the round's policies."""

    name = "shuzhi.cycles"
    verbose_name = "年度述职评议"

    def ready(self) -> None:
        # Grades and voter categories are policy data, not model choices: name their default
        # codes for the audit trail, which stores them as they are.
        from shuzhi.core.audit_words import register_values

        from .policy import default_categories, default_scale

        register_values({g["code"]: g["label"] for g in default_scale()})
        register_values({c["code"]: c["label"] for c in default_categories()})
