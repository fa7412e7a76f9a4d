"""The site's URLs plus the grading pages and API where the integrator will mount them, for
the grading tests (``pytest.mark.urls``)."""

from django.urls import include, path
from ninja import NinjaAPI

from shuzhi import api as site_api
from shuzhi.urls import urlpatterns as site_urlpatterns

grading_api = NinjaAPI(
    title="grading tests",
    auth=[site_api.TokenAuth(), site_api.SessionAuth(csrf=True)],
    urls_namespace="grading_test_api",
)
grading_api.add_router("/assessment/grading", "shuzhi.assessment.grading_api.router")

grading_api.add_exception_handler(site_api.ValidationError, site_api.validation_error)  # type: ignore[arg-type]
grading_api.add_exception_handler(site_api.PermissionDenied, site_api.permission_denied)  # type: ignore[arg-type]
grading_api.add_exception_handler(site_api.Http404, site_api.not_found)  # type: ignore[arg-type]

urlpatterns = [
    path("assessment/grading/", include("shuzhi.assessment.grading_urls")),
    path("gapi/", grading_api.urls),
    *site_urlpatterns,
]
