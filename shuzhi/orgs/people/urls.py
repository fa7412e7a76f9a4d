"""URLs of the people register, posts, the secretary lookup and the posts import."""

from django.urls import path

from shuzhi.orgs.people import views as people_views

urlpatterns = [
    path("", people_views.person_list, name="person_list"),
    path("new/", people_views.person_create, name="person_create"),
    path("<int:pk>/", people_views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", people_views.person_edit, name="person_edit"),
    path("<int:pk>/posts/new/", people_views.post_add, name="post_add"),
    path("posts/<int:post_id>/end/", people_views.post_end, name="post_end"),
    path("posts/<int:post_id>/delete/", people_views.post_delete, name="post_delete"),
    path("secretary/", people_views.secretary_lookup, name="secretary_lookup"),
    path("import/", people_views.posts_import_page, name="posts_import"),
    path("import/template.csv", people_views.posts_import_template, name="posts_import_template"),
]
