from django.apps import AppConfig


class YearplanConfig(AppConfig):
    """年度计划: key tasks, responsibility lists and progress at the checkpoints."""

    name = "shuzhi.yearplan"
    verbose_name = "年度重点任务"

    def ready(self) -> None:
        # The report answers the plan: reports ask through their extension hook.
        from . import report_side

        report_side.register()
