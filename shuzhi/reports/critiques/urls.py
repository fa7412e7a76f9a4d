"""Critique pages under /reports/critiques/."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.reports.critiques import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("critiques/round/<int:round_id>/", views.round_critiques, name="critique_round"),
    path("critiques/check/", views.critique_check, name="critique_check"),
    path(
        "critiques/reporter/<int:reporter_id>/new/",
        views.critique_create,
        name="critique_create",
    ),
    path("critiques/<int:pk>/", views.critique_detail, name="critique_detail"),
    path("critiques/<int:pk>/edit/", views.critique_edit, name="critique_edit"),
    path("critiques/<int:pk>/publish/", views.critique_publish, name="critique_publish"),
]
