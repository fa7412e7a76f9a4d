"""Pages of 结果运用, mounted at /assessment/results/."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.assessment.results import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.round_list, name="results_rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="results_round"),
    path("rounds/<int:pk>/grades.xlsx", views.grades_export, name="results_grades_export"),
    path("rounds/<int:pk>/circulars/new/", views.circular_create, name="results_circular_create"),
    path("rules/<int:host_pk>/", views.rules, name="results_rules"),
    path("follow-ups/", views.follow_up_list, name="results_follow_ups"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="results_follow_up"),
    path("circulars/<int:pk>/", views.circular_detail, name="results_circular"),
    path(
        "circulars/<int:pk>/regenerate/",
        views.circular_regenerate,
        name="results_circular_regenerate",
    ),
    path("circulars/<int:pk>/issue/", views.circular_issue, name="results_circular_issue"),
    path("circulars/<int:pk>/docx/", views.circular_docx, name="results_circular_docx"),
]
