from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="field_overview"),
    path("mine/", views.mine, name="field_mine"),
    path("visits/new/", views.visit_new, name="field_visit_new"),
    path("points/new/", views.point_new, name="field_point_new"),
    path("leaders/<int:pk>/<int:year>/", views.leader_year, name="field_leader_year"),
]
