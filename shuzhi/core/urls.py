from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_search, name="audit_search"),
    path("", views.home, name="home"),
]
