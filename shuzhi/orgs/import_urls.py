from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.unit_import, name="unit_import"),
]
