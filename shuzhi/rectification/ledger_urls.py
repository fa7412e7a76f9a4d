"""The ledger's read pages under /problems/: the list, the summary, a board, my work."""

from django.urls import URLPattern, URLResolver, path

from . import ledger_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", ledger_views.ledger_list, name="ledger_list"),
    path("summary/", ledger_views.ledger_summary, name="ledger_summary"),
    path("board/<int:unit_id>/", ledger_views.problem_board, name="problem_board"),
    path("mine/", ledger_views.my_work, name="ledger_mine"),
]
