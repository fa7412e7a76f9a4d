"""The home page, the work count of the navigation and the profile page."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("work/count/", views.work_count, name="work_count"),
    path("profile/", views.profile, name="profile"),
]
