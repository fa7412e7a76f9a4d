"""Report pages under /reports/ (critiques and plans use /reports/critiques/, /reports/plans/)."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.reports.reports import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_index, name="report_index"),
    path("round/<int:round_id>/", views.round_reports, name="report_round"),
    path("round/<int:round_id>/archive/", views.round_archive, name="report_round_archive"),
    path(
        "round/<int:round_id>/archive/<str:name>/",
        views.round_archive_file,
        name="report_round_archive_file",
    ),
    path("start/<int:reporter_id>/", views.report_start, name="report_start"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/checks/", views.report_checks, name="report_checks"),
    path("<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("<int:pk>/review/", views.report_review, name="report_review"),
    path("<int:pk>/versions/", views.report_versions, name="report_versions"),
    path("<int:pk>/word/", views.report_word, name="report_word"),
    path("<int:pk>/attachments/", views.attachment_upload, name="report_attachment_upload"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="report_attachment",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="report_attachment_delete",
    ),
]
