"""Voter pages: no login, reached by scanning the QR code on a slip (/v/<code>/)."""

from django.urls import path

from . import vote_views

urlpatterns = [
    path("", vote_views.enter_code, name="vote_enter"),
    path("<str:code>/", vote_views.ballot, name="vote_ballot"),
]
