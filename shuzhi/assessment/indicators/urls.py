"""Pages of the assessment app, mounted at /assessment/."""

from django.urls import URLPattern, URLResolver, path

from shuzhi.assessment.indicators import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.set_list, name="assessment_set_list"),
    path("new/", views.set_create, name="assessment_set_create"),
    path("<int:pk>/", views.set_detail, name="assessment_set_detail"),
    path("<int:pk>/items/add/", views.item_add, name="assessment_item_add"),
    path("<int:pk>/items/check/", views.item_check, name="assessment_item_check"),
    path("<int:pk>/items/<int:item_pk>/edit/", views.item_edit, name="assessment_item_edit"),
    path("<int:pk>/items/<int:item_pk>/remove/", views.item_remove, name="assessment_item_remove"),
    path("<int:pk>/publish/", views.set_publish, name="assessment_set_publish"),
    path("<int:pk>/derive/", views.set_derive, name="assessment_set_derive"),
    path("<int:pk>/governance/", views.governance_report, name="assessment_governance"),
    path("<int:pk>/scores/", views.score_grid, name="assessment_score_grid"),
    path("<int:pk>/scores/<int:unit_pk>/", views.unit_score, name="assessment_unit_score"),
    path("<int:pk>/self/<int:unit_pk>/", views.self_score, name="assessment_self_score"),
    path("<int:pk>/adjustments/", views.adjustments, name="assessment_adjustments"),
    path(
        "<int:pk>/adjustments/<int:adj_pk>/decide/",
        views.adjustment_decide,
        name="assessment_adjustment_decide",
    ),
    path("evidence/<int:pk>/", views.evidence_download, name="assessment_evidence"),
]
