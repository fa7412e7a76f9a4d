"""The audit pages (操作记录); the home page lives in ``shuzhi.dashboards``."""

from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_search, name="audit_search"),
    path(
        "audit/object/<str:object_type>/<str:object_id>/",
        views.audit_object,
        name="audit_object",
    ),
]
