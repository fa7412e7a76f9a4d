"""Test URL map: the project's URLs plus the hall, slips, paper and export pages and the
tally API, so their tests run whether or not these are wired into the project yet."""

from django.urls import include, path
from ninja import NinjaAPI

from shuzhi import api as project_api
from shuzhi.ballots.tally_api import router
from shuzhi.urls import urlpatterns as project_urls

# The tally router under the project's prefix, with the project's authentication and error
# handlers (django-ninja mounts a router on several APIs); paths it does not serve fall
# through to the project's own patterns below.
_api = NinjaAPI(
    title="tally-test",
    version="test",
    auth=project_api.api.auth,
    urls_namespace="tally_test_api",
)
_api._exception_handlers.update(project_api.api._exception_handlers)
_api.add_router("/ballots", router)

urlpatterns = [
    path("api/", _api.urls),
    path("ballots/", include("shuzhi.ballots.hall_urls")),
    *project_urls,
]
