from django.urls import path

from . import views

urlpatterns = [
    path("round/<int:round_pk>/new/", views.session_create, name="session_create"),
    path("<int:pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("<int:pk>/status/", views.session_status, name="session_status"),
    path("<int:pk>/reporters/add/", views.session_add_reporters, name="session_add_reporters"),
    path("<int:pk>/reporters/<int:entry_pk>/move/", views.entry_move, name="session_entry_move"),
    path("<int:pk>/reporters/<int:entry_pk>/mode/", views.entry_mode, name="session_entry_mode"),
    path(
        "<int:pk>/reporters/<int:entry_pk>/remove/", views.entry_remove, name="session_entry_remove"
    ),
    path("<int:pk>/reporters/<int:entry_pk>/<str:action>/", views.speaker, name="session_speaker"),
    path("<int:pk>/draw/", views.session_draw, name="session_draw"),
    path("<int:pk>/draw/check/", views.draw_check, name="session_draw_check"),
    path("<int:pk>/roster/", views.roster, name="session_roster"),
    path("<int:pk>/roster/init/", views.roster_init, name="session_roster_init"),
    path("<int:pk>/roster/import/", views.members_import, name="session_members_import"),
    path(
        "<int:pk>/roster/<int:category_pk>/counts/",
        views.category_counts,
        name="session_category_counts",
    ),
    path("<int:pk>/roster/<int:category_pk>/members/", views.member_add, name="session_member_add"),
    path("<int:pk>/members/<int:member_pk>/sign/", views.member_sign, name="session_member_sign"),
    path("<int:pk>/agenda/", views.agenda, name="session_agenda"),
    path("<int:pk>/agenda/panel/", views.agenda_panel, name="session_agenda_panel"),
]
