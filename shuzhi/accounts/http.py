"""The request type of views that only a signed-in user reaches.

Django types ``request.user`` as ``User | AnonymousUser``. Behind ``login_required`` (or a
check of ``request.user.is_authenticated``) it is always a ``User``; annotating such a view's
request as ``AuthenticatedHttpRequest`` says so once, instead of narrowing in every body::

    @login_required
    def home(request: AuthenticatedHttpRequest) -> HttpResponse:
        grants = request.user.grants.all()
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user is signed in (for type checking; never instantiated)."""

    user: User
