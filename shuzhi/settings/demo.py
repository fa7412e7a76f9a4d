"""Demo settings (``make demo``): the development settings with debug pages off.

People trying the demo see the product's own error pages (templates/404.html, 500.html), as they
would in production, not Django's English debug page. Static files are served by WhiteNoise
straight from the apps' static directories, so the demo needs no ``collectstatic``.
"""

from .dev import *  # noqa: F403

DEBUG = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
