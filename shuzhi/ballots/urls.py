"""Organiser pages for ballots (login required), mounted under ``ballots/``."""

from django.urls import URLPattern, URLResolver, include, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("session/<int:session_id>/", views.console, name="ballot_console"),
    path("session/<int:session_id>/open/", views.open_round, name="ballot_open"),
    path("round/<int:pk>/codes/", views.issue_codes, name="ballot_issue_codes"),
    path("round/<int:pk>/close/", views.close_round, name="ballot_close"),
    path("round/<int:pk>/unseal/", views.unseal_round, name="ballot_unseal"),
    path("round/<int:pk>/publish/", views.publish_round, name="ballot_publish"),
    path("round/<int:pk>/receipts.txt", views.receipts, name="ballot_receipts"),
    # The hall screen, slips, paper ballots and exports.
    path("", include("shuzhi.ballots.hall_urls")),
]
