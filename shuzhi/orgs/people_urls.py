from django.urls import path

from . import people_views

urlpatterns = [
    path("", people_views.person_list, name="person_list"),
]
