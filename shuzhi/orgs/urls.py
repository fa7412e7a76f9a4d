from django.urls import path

from . import views

urlpatterns = [
    path("", views.unit_tree, name="unit_tree"),
    path("import/", views.unit_import, name="unit_import"),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
]
