"""WSGI entry point (granian or gunicorn ``shuzhi.wsgi:application``).

The phones' blank ballot page is answered below Django's request and response objects
(``shuzhi/ballots/vote_route.py``, docs/decisions/0013-phone-ballot-path.md); every other
request, and every unusual one, goes to Django's WSGI handler.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings.prod")
django_application = get_wsgi_application()

from shuzhi.ballots.vote_route import BlankBallotApplication  # noqa: E402 (needs set-up first)

application = BlankBallotApplication(django_application)
