from django.apps import AppConfig


class CyclesConfig(AppConfig):
    """The annual round (年度述职评议考核): who reports to whom, and the round's policies."""

    name = "shuzhi.cycles"
    verbose_name = "年度述职评议"
