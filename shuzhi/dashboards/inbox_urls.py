"""The inbox (/inbox/) and the background worker status page (/inbox/worker/)."""

from django.urls import URLPattern, URLResolver, path

from . import inbox_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", inbox_views.inbox, name="inbox"),
    path("count/", inbox_views.unread_badge, name="inbox_count"),
    path("read-selected/", inbox_views.read_selected, name="inbox_read_selected"),
    path("read-all/", inbox_views.read_all, name="inbox_read_all"),
    path("<int:pk>/open/", inbox_views.open_message, name="inbox_open"),
    path("worker/", inbox_views.worker, name="worker_status"),
]
