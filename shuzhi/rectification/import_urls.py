"""Import and export of the ledger under /problems/: upload, job pages, template, export."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.core.bulk import views as job_views

from . import import_views

# The job pages are the shared ones of every import (shuzhi.core.bulk.views).
LEDGER = {"kind": "ledger"}

urlpatterns: list[URLPattern | URLResolver] = [
    path("import/", import_views.problem_import, name="problem_import"),
    path(
        "import/<int:pk>/preview/",
        import_views.problem_import_preview,
        name="problem_import_preview",
    ),
    path("import/<int:pk>/", job_views.job_detail, LEDGER, name="problem_import_job"),
    path("import/<int:pk>/status/", job_views.job_status, LEDGER, name="problem_import_status"),
    path("import/<int:pk>/errors.xlsx", job_views.job_errors, LEDGER, name="problem_import_errors"),
    path(
        "import/template.xlsx",
        import_views.problem_import_template,
        name="problem_import_template",
    ),
    path("export/", import_views.problem_export, name="problem_export"),
    path(
        "export/background/",
        import_views.problem_export_background,
        name="problem_export_background",
    ),
    path("export/files/<str:name>", import_views.problem_export_file, name="problem_export_file"),
]
