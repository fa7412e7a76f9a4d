"""The shared import job pages under /imports/: the list, and the pages of a kind without
URLs of its own."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.job_list, name="import_jobs"),
    path("<slug:kind>/<int:pk>/", views.job_detail, name="import_job_detail_any"),
    path("<slug:kind>/<int:pk>/status/", views.job_status, name="import_job_status_any"),
    path("<slug:kind>/<int:pk>/errors/", views.job_errors, name="import_job_errors_any"),
]
