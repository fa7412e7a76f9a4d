"""The kernel is an app only so that its template filters load (``{% load kernel %}``)."""

from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "shuzhi.kernel"
    label = "kernel"
    verbose_name = "权限内核"
