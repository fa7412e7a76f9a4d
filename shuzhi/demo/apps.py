from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The ``seed_demo`` and ``demo_logins`` commands, which load every app's demo data."""

    name = "shuzhi.demo"
    verbose_name = "演示数据"
