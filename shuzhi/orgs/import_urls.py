"""Import and export of units: the upload page, job pages, templates and the export page."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.unit_import, name="unit_import"),
    path("jobs/<int:pk>/", import_views.import_job, name="import_job"),
    path("jobs/<int:pk>/status/", import_views.import_job_status, name="import_job_status"),
    path("jobs/<int:pk>/errors.csv", import_views.import_job_errors, name="import_job_errors"),
    path(
        "template.<str:file_format>",
        import_views.import_template,
        name="unit_import_template",
    ),
    path("export/", import_views.unit_export, name="unit_export"),
    path("export/download/", import_views.unit_export_download, name="unit_export_download"),
]
