"""URLs for the 结果运用 tests until the pages and API are mounted in the project's URL map:
the project's own patterns plus /assessment/results/ and /api/assessment/results. Once the
project mounts them, the project's patterns answer first and this adds nothing they lack."""

from __future__ import annotations

from django.urls import include, path
from ninja import NinjaAPI

from shuzhi import api as project_api
from shuzhi.assessment.results.api import router
from shuzhi.urls import urlpatterns as project_patterns

results_api = NinjaAPI(
    title="results", auth=project_api.api.auth, urls_namespace="results_api_test"
)
for exc_class in (
    project_api.ValidationError,
    project_api.PermissionDenied,
    project_api.Http404,
):
    results_api.add_exception_handler(exc_class, project_api.api._exception_handlers[exc_class])
results_api.add_router("/assessment/results", router)

urlpatterns = [
    path("assessment/results/", include("shuzhi.assessment.results.urls")),
    # Grading's pages, whose names its confirmation reverses when it notifies reporters.
    path("assessment/grading/", include("shuzhi.assessment.grading.urls")),
    path("api/", results_api.urls),
    *project_patterns,
]
