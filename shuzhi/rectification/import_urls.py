"""Import and export of the ledger under /problems/: upload, job pages, template, export."""

from django.urls import URLPattern, URLResolver, path

from . import import_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("import/", import_views.problem_import, name="problem_import"),
    path("import/<int:pk>/", import_views.problem_import_job, name="problem_import_job"),
    path(
        "import/<int:pk>/status/",
        import_views.problem_import_status,
        name="problem_import_status",
    ),
    path(
        "import/<int:pk>/errors.xlsx",
        import_views.problem_import_errors,
        name="problem_import_errors",
    ),
    path(
        "import/template.xlsx",
        import_views.problem_import_template,
        name="problem_import_template",
    ),
    path("export/", import_views.problem_export, name="problem_export"),
]
