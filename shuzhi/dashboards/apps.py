from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """The pages that gather every app's work for one user: home, inbox, worker status.

    At the top of the import graph (docs/decisions/0012-import-layers.md): it may read every
    app, and no app imports it.
    """

    name = "shuzhi.dashboards"
    verbose_name = "工作台"
