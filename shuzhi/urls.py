"""Top-level URL map: each app brings its own pages; the API lives under /api/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from shuzhi.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("shuzhi.accounts.urls")),
    path("units/", include("shuzhi.orgs.urls")),
    path("people/", include("shuzhi.orgs.people_urls")),
    path("", include("shuzhi.core.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)  # type: ignore[arg-type]
