"""Test URL map: the project's URLs plus the hall, slips, paper and export pages and the
tally API, for tests that run before these are wired into ``shuzhi.urls`` / ``shuzhi.api``."""

from django.urls import include, path
from ninja import NinjaAPI

from shuzhi import api as project_api
from shuzhi.ballots.tally_api import router
from shuzhi.urls import urlpatterns as project_urls

urlpatterns = []
if getattr(router, "api", None) is None:
    # Not yet mounted on the project API: serve the router under the same prefix from a test
    # API with the project's authentication and error handlers; unmatched paths fall through.
    _api = NinjaAPI(
        title="tally-test",
        version="test",
        auth=project_api.api.auth,
        urls_namespace="tally_test_api",
    )
    _api._exception_handlers.update(project_api.api._exception_handlers)
    _api.add_router("/ballots", router)
    urlpatterns.append(path("api/", _api.urls))
urlpatterns += [path("ballots/", include("shuzhi.ballots.hall_urls")), *project_urls]
