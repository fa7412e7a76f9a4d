from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared base models, the audit trail and the web shell."""

    name = "shuzhi.core"
    verbose_name = "核心"
