from django.apps import AppConfig


class OrgsConfig(AppConfig):
    """The organisation tree, unit types, people and their posts."""

    name = "shuzhi.orgs"
    verbose_name = "组织"
