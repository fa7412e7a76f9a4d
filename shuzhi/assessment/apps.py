from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """考核: indicator sets, annual scores, the composite, grades and the use of results."""

    name = "shuzhi.assessment"
    verbose_name = "考核与等次"
