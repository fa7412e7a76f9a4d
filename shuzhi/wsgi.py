"""WSGI entry point (gunicorn ``shuzhi.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings.prod")
application = get_wsgi_application()
