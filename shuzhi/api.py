"""The HTTP API (django-ninja). OpenAPI at /api/docs and /api/openapi.json where
``SHUZHI_API_DOCS`` is on (development and tests; off in production unless the operator asks).

Requests authenticate with a bearer token (``Authorization: Bearer sz_…``) or, from the
browser, with the session cookie plus CSRF. Every router applies the same policies as the pages.
"""

import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from shuzhi.accounts.api import router as accounts_router
from shuzhi.accounts.tokens import user_for_token
from shuzhi.core.api import router as core_router
from shuzhi.orgs.api import router as orgs_router
from shuzhi.orgs.people_api import router as people_router


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for scripts."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def docs_when_enabled(view):
    """Serve the API docs and the OpenAPI schema only where ``SHUZHI_API_DOCS`` is on: in
    production the map of every endpoint and field is not handed to whoever asks. Read per
    request, so the setting needs no new URL map."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.SHUZHI_API_DOCS:
            raise Http404("接口文档未开放。")
        return view(request, *args, **kwargs)

    return guarded


api = NinjaAPI(
    title="Shuzhi 述职评议考核 API",
    version="1",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    docs_decorator=docs_when_enabled,
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        detail = {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    else:
        detail = {"__all__": [str(m) for m in exc.messages]}
    return api.create_response(request, {"detail": "输入有误。", "errors": detail}, status=422)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "没有权限。"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": "未找到。"}, status=404)


def _register_routers() -> None:
    # The vote endpoint first: it is the hot path in a full hall and URL resolution walks the
    # patterns in order.
    api.add_router("/vote", "shuzhi.ballots.vote_api.router")
    api.add_router("/units", orgs_router)
    api.add_router("/units", "shuzhi.orgs.import_api.router")
    api.add_router("/people", people_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/audit", core_router)
    api.add_router("/rounds", "shuzhi.cycles.api.router")
    api.add_router("/meetings", "shuzhi.meetings.api.router")
    api.add_router("/ballots", "shuzhi.ballots.api.router")
    api.add_router("/problems", "shuzhi.rectification.api.router")
    api.add_router("/problems", "shuzhi.rectification.ledger_api.router")
    api.add_router("/problems", "shuzhi.rectification.import_api.router")
    api.add_router("/reports", "shuzhi.reports.api.router")
    api.add_router("/reports", "shuzhi.reports.critique_api.router")
    api.add_router("/assessment/results", "shuzhi.assessment.results.api.router")
    api.add_router("/assessment/grading", "shuzhi.assessment.grading.api.router")
    api.add_router("/assessment", "shuzhi.assessment.indicators.api.router")
    api.add_router("/inbox", "shuzhi.dashboards.inbox_api.router")


_register_routers()
