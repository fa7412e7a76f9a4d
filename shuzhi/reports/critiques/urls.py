"""Critique and rectification-plan pages under /reports/critiques/ and /reports/plans/."""

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
    path("plans/<int:reporter_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:reporter_id>/create/", views.plan_create, name="plan_create"),
    path("plans/<int:reporter_id>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:reporter_id>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<int:reporter_id>/approve/", views.plan_approve, name="plan_approve"),
    path("plans/<int:reporter_id>/return/", views.plan_return, name="plan_return"),
]
