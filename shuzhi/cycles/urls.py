from django.urls import path

from . import views

urlpatterns = [
    path("", views.round_list, name="round_list"),
]
