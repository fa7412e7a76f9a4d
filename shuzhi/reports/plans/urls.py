"""Rectification-plan pages under /reports/plans/."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.reports.plans import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("plans/<int:reporter_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:reporter_id>/create/", views.plan_create, name="plan_create"),
    path("plans/<int:reporter_id>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:reporter_id>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<int:reporter_id>/approve/", views.plan_approve, name="plan_approve"),
    path("plans/<int:reporter_id>/return/", views.plan_return, name="plan_return"),
]
