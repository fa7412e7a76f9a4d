"""Pages of one problem under /problems/: record, detail, edit, moves, notes, evidence; the
source list and year rollover."""

from django.urls import URLPattern, URLResolver, path

from . import problem_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("new/", views.problem_new, name="problem_new"),
    path("<int:pk>/", views.problem_detail, name="problem_detail"),
    path("<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("<int:pk>/transition/", views.problem_transition, name="problem_transition"),
    path("<int:pk>/notes/", views.problem_note, name="problem_note"),
    path("<int:pk>/evidence/", views.problem_evidence, name="problem_evidence"),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/",
        views.evidence_download,
        name="problem_evidence_download",
    ),
    path("sources/", views.source_list, name="problem_sources"),
    path("sources/<int:pk>/", views.source_change, name="problem_source_change"),
    path("carry-over/", views.carry_over, name="problem_carry_over"),
]
