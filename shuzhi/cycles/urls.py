from django.urls import path

from . import views

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_create, name="round_create"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/status/", views.round_status, name="round_status"),
    path("<int:pk>/reporters/", views.round_reporters, name="round_reporters"),
    path("<int:pk>/reporters/refresh/", views.reporters_refresh, name="round_reporters_refresh"),
    path(
        "<int:pk>/reporters/<int:reporter_pk>/person/",
        views.reporter_person,
        name="round_reporter_person",
    ),
    path(
        "<int:pk>/reporters/<int:reporter_pk>/remove/",
        views.reporter_remove,
        name="round_reporter_remove",
    ),
]
