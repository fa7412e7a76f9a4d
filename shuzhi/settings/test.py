"""Test settings: PostgreSQL by default (the database tests must prove), SQLite on request."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR
from .env import database_from_url, env_bool, env_str

DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
ALLOWED_HOSTS = ["*"]
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shuzhi"), base_dir=BASE_DIR
    )
}
# Fast hashing keeps the suite quick; production uses argon2 (see base.py).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files written by tests (evidence, attachments, the demo's files) go to a directory of
# this run, never into var/media where a developer's demo keeps its own.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="shuzhi-test-media-"))
# Test rounds cast a handful of ballots; the floor still hides a lone voter (2 is its least),
# and the tests of the floor itself set the production default of 5.
SHUZHI_BALLOT_MIN_FLOOR = 2
# Test rounds close after a handful of ballots from a roster of dozens: no turnout asked of
# them, and the tests of the closing guard itself set the production default of 2/3
# (shuzhi/ballots/tests/test_meeting_order.py).
SHUZHI_BALLOT_CLOSE_TURNOUT = "0"
# The API docs and schema are on where the product is built and tested (off by default in
# production, see base.py).
SHUZHI_API_DOCS = env_bool("SHUZHI_API_DOCS", True)
