"""Import and export of units: the upload page, job pages, templates and the export page."""

from django.urls import path

from shuzhi.core.bulk import views as job_views
from shuzhi.orgs.imports import views as import_views

# The job pages are the shared ones of every import (shuzhi.core.bulk.views).
UNITS = {"kind": "units"}

urlpatterns = [
    path("", import_views.unit_import, name="unit_import"),
    path("jobs/<int:pk>/", job_views.job_detail, UNITS, name="import_job"),
    path("jobs/<int:pk>/status/", job_views.job_status, UNITS, name="import_job_status"),
    path("jobs/<int:pk>/errors.csv", job_views.job_errors, UNITS, name="import_job_errors"),
    path(
        "template.<str:file_format>",
        import_views.import_template,
        name="unit_import_template",
    ),
    path("export/", import_views.unit_export, name="unit_export"),
    path("export/download/", import_views.unit_export_download, name="unit_export_download"),
]
