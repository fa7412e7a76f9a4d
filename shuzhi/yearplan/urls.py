"""URLs of the year's plan, mounted at /plan/."""

from django.urls import path

from shuzhi.yearplan.duties import views as duty_views
from shuzhi.yearplan.keytasks import views as task_views
from shuzhi.yearplan.progress import views as progress_views

urlpatterns = [
    path("", task_views.list_index, name="yearplan_list_index"),
    path("new/", task_views.list_create, name="yearplan_list_create"),
    path("<int:pk>/", task_views.list_detail, name="yearplan_list_detail"),
    path("<int:pk>/publish/", task_views.list_publish, name="yearplan_list_publish"),
    path("<int:pk>/tasks/new/", task_views.task_edit, name="yearplan_task_create"),
    path("<int:pk>/tasks/<int:task_pk>/", task_views.task_edit, name="yearplan_task_edit"),
    path(
        "<int:pk>/tasks/<int:task_pk>/delete/", task_views.task_delete, name="yearplan_task_delete"
    ),
    path("settings/<int:unit_pk>/", task_views.settings_edit, name="yearplan_settings"),
    path("<int:pk>/matrix/", progress_views.matrix_page, name="yearplan_matrix"),
    path("<int:pk>/matrix.xlsx", progress_views.matrix_export, name="yearplan_matrix_export"),
    path("<int:pk>/units/<int:unit_pk>/", progress_views.cell_detail, name="yearplan_cell"),
    path("<int:pk>/request/", progress_views.progress_request, name="yearplan_request"),
    path("<int:pk>/notices/", progress_views.notices_send, name="yearplan_notices"),
    path("progress/", progress_views.my_progress, name="yearplan_my_progress"),
    path("duties/", duty_views.duty_index, name="yearplan_duty_index"),
    path("duties/start/", duty_views.duty_start, name="yearplan_duty_start"),
    path("duties/<int:pk>/", duty_views.duty_detail, name="yearplan_duty_detail"),
    path(
        "duties/<int:pk>/items/<int:item_pk>/claim/",
        duty_views.duty_claim,
        name="yearplan_duty_claim",
    ),
    path("duties/<int:pk>/move/", duty_views.duty_move, name="yearplan_duty_move"),
    path(
        "progress/evidence/<int:report_pk>/",
        progress_views.evidence_download,
        name="yearplan_evidence",
    ),
]
