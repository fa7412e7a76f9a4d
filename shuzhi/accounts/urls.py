from django.contrib.auth import views as auth_views
from django.urls import path

from . import admin_views, views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", admin_views.password_change, name="password_change"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", admin_views.user_list, name="user_list"),
    path("users/new/", admin_views.user_create, name="user_create"),
    path("users/<int:pk>/", admin_views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", admin_views.user_edit, name="user_edit"),
    path("users/<int:pk>/grants/", admin_views.user_grant_add, name="user_grant_add"),
    path("users/<int:pk>/password/", admin_views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/deactivate/", admin_views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/activate/", admin_views.user_activate, name="user_activate"),
    path("grants/<int:pk>/revoke/", admin_views.grant_revoke, name="grant_revoke"),
]
