"""Security headers Django 5.2 does not set by itself, and no caching of signed-in pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Everything the product serves comes from its own origin: no CDN, no inline script.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "geolocation=(), microphone=(), camera=()"


class SecurityHeadersMiddleware:
    """Add a Content-Security-Policy and a restrictive Permissions-Policy to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# The anonymous voters' pages (page and API) keep the cache rules of their own views
# (docs/decisions/0013-phone-ballot-path.md): the blank ballot page may stay on the phone for a
# few minutes, everything else there is no-store already. They are the hot path of a full hall,
# so they are recognised by their prefix before anything else is looked at.
EXEMPT_PREFIXES = ("/v/", "/api/vote/")


class NoStoreForSignedInMiddleware:
    """Mark every response to a signed-in user (session or API token) ``no-store``.

    A report, a ledger or a result left in a shared computer's browser cache, or kept by a
    proxy, outlives the sign-out. Static files are served before this runs (WhiteNoise) and
    are exempt by prefix where Django serves them itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt = (*EXEMPT_PREFIXES, settings.STATIC_URL or "/static/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.exempt):
            return response
        # Read after the view: an API token signs the request in inside the view.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
