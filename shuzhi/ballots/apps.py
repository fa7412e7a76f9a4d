from django.apps import AppConfig


class BallotsConfig(AppConfig):
    """The anonymous ballot (民主测评): codes, ballot rounds, votes and tallies."""

    name = "shuzhi.ballots"
    verbose_name = "民主测评"
