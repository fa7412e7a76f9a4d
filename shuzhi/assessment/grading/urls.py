"""Pages of 综合评定, to be mounted at /assessment/grading/."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.assessment.grading import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="grading_index"),
    path("mine/", views.mine, name="grading_mine"),
    path("ranking/", views.ranking, name="grading_ranking"),
    path("unit/<int:unit_id>/history/", views.history, name="grading_history"),
    path("round/<int:round_id>/", views.round_page, name="grading_round"),
    path("round/<int:round_id>/settings/", views.settings_page, name="grading_settings"),
    path("round/<int:round_id>/compute/", views.compute, name="grading_compute"),
    path("round/<int:round_id>/confirm/", views.confirm, name="grading_confirm"),
    path("row/<int:pk>/", views.row_fragment, name="grading_row"),
    path("row/<int:pk>/decide/", views.decide, name="grading_decide"),
    path("row/<int:pk>/correct/", views.correct, name="grading_correct"),
    path("row/<int:pk>/acknowledge/", views.acknowledge, name="grading_acknowledge"),
    path("row/<int:pk>/derivation/<str:code>/", views.derivation, name="grading_derivation"),
]
