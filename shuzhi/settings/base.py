"""Settings shared by every environment. Environment-specific files import from here."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "shuzhi.kernel",
    "shuzhi.core",
    "shuzhi.exports",
    "shuzhi.orgs",
    "shuzhi.accounts",
    "shuzhi.cycles",
    "shuzhi.meetings",
    "shuzhi.field",
    "shuzhi.ballots",
    "shuzhi.rectification",
    "shuzhi.reports",
    "shuzhi.assessment",
    "shuzhi.yearplan",
    "shuzhi.dashboards",
    "shuzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shuzhi.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refuses NUL characters, deeply nested JSON and absurd page numbers with a 400 before any
    # session, form or parser work (shuzhi/core/guard.py).
    "shuzhi.core.guard.RequestGuardMiddleware",
    # The phones' ballot page /v/<code>/ is answered here, without the staff pages' session,
    # language, CSRF, authentication and messages middleware (shuzhi/ballots/vote_route.py).
    "shuzhi.ballots.vote_route.VoteRouteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shuzhi.core.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store on every response to a signed-in user (the voters' pages exempt).
    "shuzhi.core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shuzhi.urls"
WSGI_APPLICATION = "shuzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shuzhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuzhi.core.context_processors.navigation",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["shuzhi.accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (shuzhi/accounts/backends.py). Failures are counted per account and
# address, and per address alone; past the allowance each further failure doubles the wait,
# from SHUZHI_LOGIN_BACKOFF_SECONDS up to SHUZHI_LOGIN_LOCK_MINUTES. A failure count is forgotten
# SHUZHI_LOGIN_LOCK_MINUTES after the last failure. The owner signing in from another address
# is never slowed by someone else's failures.
SHUZHI_LOGIN_MAX_FAILURES = env_int("SHUZHI_LOGIN_MAX_FAILURES", 5, minimum=1)
# Per address, whatever names are tried: a government office's NAT shares one address among
# hundreds of people, so this allowance is larger.
SHUZHI_LOGIN_ADDRESS_MAX_FAILURES = env_int("SHUZHI_LOGIN_ADDRESS_MAX_FAILURES", 30, minimum=1)
SHUZHI_LOGIN_BACKOFF_SECONDS = env_int("SHUZHI_LOGIN_BACKOFF_SECONDS", 30, minimum=1)
SHUZHI_LOGIN_LOCK_MINUTES = env_int("SHUZHI_LOGIN_LOCK_MINUTES", 15, minimum=1)

# No ballot result is shown for fewer voters than this, whatever a round sets: a category of
# one voter (or a reporter rated by one) would show how that person voted. At least 2.
SHUZHI_BALLOT_MIN_FLOOR = env_int("SHUZHI_BALLOT_MIN_FLOOR", 5, minimum=2)
# Closing a formal ballot with fewer ballots than this share of those present asks for a reason
# (a round may set its own share, cycles.Round.close_turnout). A fraction such as "2/3".
SHUZHI_BALLOT_CLOSE_TURNOUT = env_str("SHUZHI_BALLOT_CLOSE_TURNOUT", "2/3")
try:
    _close_turnout = Fraction(SHUZHI_BALLOT_CLOSE_TURNOUT)
except (ValueError, ZeroDivisionError) as _exc:
    raise ImproperlyConfigured("SHUZHI_BALLOT_CLOSE_TURNOUT must be a fraction like 2/3") from _exc
if not 0 <= _close_turnout <= 1:
    raise ImproperlyConfigured("SHUZHI_BALLOT_CLOSE_TURNOUT must lie between 0 and 1")
# Vote-code guessing (shuzhi/ballots/guessing.py): unknown codes per address and minute before
# the address is slowed down. A hall's phones share one address through its Wi-Fi NAT, so this
# is sized for 2,000 voters' typing mistakes (known codes never count).
SHUZHI_VOTE_UNKNOWN_PER_MINUTE = env_int("SHUZHI_VOTE_UNKNOWN_PER_MINUTE", 100, minimum=50)
# The first slow-down lasts this long; each further one in a row doubles it, up to the ceiling.
SHUZHI_VOTE_BLOCK_SECONDS = env_int("SHUZHI_VOTE_BLOCK_SECONDS", 60, minimum=1)
SHUZHI_VOTE_BLOCK_MAX_SECONDS = env_int("SHUZHI_VOTE_BLOCK_MAX_SECONDS", 900, minimum=1)

# How many reverse proxies in front of the application append the client's address to
# X-Forwarded-For (1 for the nginx example in docs/deployment.md). 0 trusts no header and uses
# the connection's address. Throttling counts per address, so this must be right.
SHUZHI_TRUSTED_PROXIES = env_int("SHUZHI_TRUSTED_PROXIES", 0, minimum=0)

# API tokens: lifetime when none is asked for, and the longest that may be asked for.
SHUZHI_TOKEN_DEFAULT_DAYS = env_int("SHUZHI_TOKEN_DEFAULT_DAYS", 90, minimum=1)
SHUZHI_TOKEN_MAX_DAYS = env_int("SHUZHI_TOKEN_MAX_DAYS", 365, minimum=1)

# The throttle counters must be shared by every worker process: the database by default (its
# table is created by a migration of shuzhi.core). A memory cache per process would not do.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": env_str(
            "SHUZHI_THROTTLE_CACHE_BACKEND", "django.core.cache.backends.db.DatabaseCache"
        ),
        "LOCATION": env_str("SHUZHI_THROTTLE_CACHE_LOCATION", "shuzhi_throttle"),
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

SESSION_COOKIE_AGE = env_int("SHUZHI_SESSION_HOURS", 8, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

LANGUAGE_CODE = "zh-hans"
# Chinese only (docs/decisions/0018-chinese-only-interface.md): the texts stay marked for
# translation, so adding a language is a catalogue and a line here.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "shuzhi" / "locale"]
TIME_ZONE = env_str("SHUZHI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "shuzhi" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploaded import files can be large (a national tree is tens of MB); they stream to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SHUZHI_IMPORT_MAX_BYTES = env_int("SHUZHI_IMPORT_MAX_MB", 200, minimum=1) * 1024 * 1024
# What an import file may hold (docs/decisions/0011-one-bulk-write-path.md): the reader takes
# only the header's width, stops past these many rows and cells, and refuses an .xlsx whose
# members unpack beyond the total or compress more than the ratio (a zip bomb).
SHUZHI_IMPORT_MAX_ROWS = env_int("SHUZHI_IMPORT_MAX_ROWS", 1_000_000, minimum=1)
SHUZHI_IMPORT_MAX_COLUMNS = env_int("SHUZHI_IMPORT_MAX_COLUMNS", 50, minimum=1)
SHUZHI_IMPORT_MAX_CELLS = env_int("SHUZHI_IMPORT_MAX_CELLS", 20_000_000, minimum=1)
SHUZHI_IMPORT_MAX_UNPACKED_BYTES = (
    env_int("SHUZHI_IMPORT_MAX_UNPACKED_MB", 1024, minimum=1) * 1024 * 1024
)
SHUZHI_IMPORT_MAX_RATIO = env_int("SHUZHI_IMPORT_MAX_RATIO", 200, minimum=1)
# A PostgreSQL import writing at least this many rows rebuilds the written tables' foreign keys
# after the load instead of checking each row (docs/decisions/0011-one-bulk-write-path.md).
SHUZHI_IMPORT_REBUILD_FK_ROWS = env_int("SHUZHI_IMPORT_REBUILD_FK_ROWS", 50_000, minimum=0)
# Import files up to this size run right after the upload instead of waiting for the worker.
SHUZHI_IMPORT_INLINE_BYTES = env_int("SHUZHI_IMPORT_INLINE_KB", 64, minimum=0) * 1024

# Attachments to reports and rectification evidence (documents, images, short videos).
SHUZHI_ATTACHMENT_MAX_BYTES = env_int("SHUZHI_ATTACHMENT_MAX_MB", 20, minimum=1) * 1024 * 1024
SHUZHI_VIDEO_MAX_BYTES = env_int("SHUZHI_VIDEO_MAX_MB", 200, minimum=1) * 1024 * 1024
# Reminders: the responsible person is reminded this many days before a deadline and when it
# passes; an item overdue longer than the escalation period goes to the responsible leader and
# the superior unit's organisers.
SHUZHI_REMIND_DAYS_BEFORE = env_int("SHUZHI_REMIND_DAYS_BEFORE", 7, minimum=0)
SHUZHI_ESCALATE_AFTER_DAYS = env_int("SHUZHI_ESCALATE_AFTER_DAYS", 30, minimum=1)
# The hour of the day (local time) when the worker runs the daily reminders.
SHUZHI_REMIND_HOUR = env_int("SHUZHI_REMIND_HOUR", 6, minimum=0)
if SHUZHI_REMIND_HOUR > 23:
    raise ImproperlyConfigured("SHUZHI_REMIND_HOUR must be an hour from 0 to 23.")
# The address people open Shuzhi at, so links in e-mails are complete (e.g. https://shuzhi.example.cn).
SHUZHI_SITE_URL = env_str("SHUZHI_SITE_URL", "")

TASKS = {
    "default": {
        "BACKEND": env_str("SHUZHI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# The API docs (/api/docs) and the OpenAPI schema (/api/openapi.json): off unless asked for, so
# production does not publish them; development and tests turn them on.
SHUZHI_API_DOCS = env_bool("SHUZHI_API_DOCS", False)
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
# How deeply arrays and objects may nest in a JSON request body (the request guard refuses more
# with a 400; the deepest body the API takes is a ballot, four levels).
REQUEST_MAX_JSON_DEPTH = 32

SITE_TITLE = _("述职评议考核")

# No log line holds a vote code: the loggers that print request paths pass every record
# through a filter that masks /v/<code>/ and /api/vote/<code> (docs/deployment.md, "Logs").
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"vote_codes": {"()": "shuzhi.core.logfilters.RedactVoteCodes"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["vote_codes"]}},
    "loggers": {
        "django.request": {"filters": ["vote_codes"]},
        "django.server": {"filters": ["vote_codes"]},
        "django.security": {"filters": ["vote_codes"]},
    },
    "root": {"handlers": ["console"], "level": env_str("SHUZHI_LOG_LEVEL", "INFO")},
}
