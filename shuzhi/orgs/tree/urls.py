"""Pages of the organisation tree: the browser, the unit page and the unit operations."""

from django.urls import include, path

from shuzhi.orgs.tree import views

urlpatterns = [
    path("", views.unit_tree, name="unit_tree"),
    path("import/", include("shuzhi.orgs.imports.urls")),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
    path("<int:pk>/children/", views.unit_children, name="unit_children"),
    path("<int:pk>/add/", views.unit_add_child, name="unit_add_child"),
    path("<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("<int:pk>/move/", views.unit_move, name="unit_move"),
    path("<int:pk>/merge/", views.unit_merge, name="unit_merge"),
    path("<int:pk>/dissolve/", views.unit_dissolve, name="unit_dissolve"),
    path("<int:pk>/reorder/", views.unit_reorder, name="unit_reorder"),
]
