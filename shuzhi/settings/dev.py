"""Development and demo settings: the embedded SQLite default, debug pages on."""

from .base import *  # noqa: F403
from .base import BASE_DIR, VAR_DIR
from .env import database_from_url, env_bool, env_list, env_str

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-use-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shuzhi.sqlite3'}"), base_dir=BASE_DIR
    )
}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The API docs and schema are on where the product is built and tested (off by default in
# production, see base.py).
SHUZHI_API_DOCS = env_bool("SHUZHI_API_DOCS", True)
