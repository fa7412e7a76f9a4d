from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.unit_tree, name="unit_tree"),
    path("import/", include("shuzhi.orgs.import_urls")),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
]
