"""Language choice: Chinese, unless a language cookie names another language the site offers.

Django's ``LocaleMiddleware`` also follows the browser's ``Accept-Language``. Shuzhi ships no
English catalogue for its own text, so following an English browser would mix English framework
messages ("This field is required.") into Chinese pages. The site offers Chinese only
(``settings.LANGUAGES``, docs/decisions/0018-chinese-only-interface.md); the cookie is still
honoured for a language listed there, so a future catalogue needs no change here.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` that ignores ``Accept-Language``."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        known = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in known else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
