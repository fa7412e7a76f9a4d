"""Read configuration from the environment, refusing values that make no sense.

Every setting that can come from the environment is read through one of these helpers, so a
typo in a deployment fails loudly at start-up instead of running with a silent default.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

REQUIRED = object()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: object = REQUIRED) -> str:
    """Return a string variable; raise if it is required and missing."""
    value = os.environ.get(name)
    if value is None:
        if default is REQUIRED:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return str(default)
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean variable; only 1/0, true/false, yes/no, on/off are accepted."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return an integer variable, refusing non-numbers and values under ``minimum``."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str] | object = REQUIRED) -> list[str]:
    """Return a comma-separated list variable with blanks removed."""
    value = os.environ.get(name)
    if value is None:
        if default is REQUIRED:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return list(default)  # type: ignore[arg-type]
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, *, base_dir: Path) -> dict:
    """Translate ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` to a DATABASES entry.

    SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged write survives a power
    cut, and takes the write lock at the start of a transaction so concurrent writers queue
    instead of failing half-way.
    """
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL must name a database.")
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            # A health check costs one extra round trip on every request, the largest share of
            # the vote path's cost after its own statement; without it a connection broken by a
            # database restart fails one request per worker, which the ballot page retries.
            "CONN_HEALTH_CHECKS": env_bool("SHUZHI_DB_HEALTH_CHECKS", False),
            "OPTIONS": options,
        }
    if parsed.scheme == "sqlite":
        # As elsewhere: sqlite:///var/x.sqlite3 is relative to the project folder,
        # sqlite:////srv/x.sqlite3 is absolute.
        raw = unquote(url[len("sqlite://") :])
        path = raw[1:] if raw.startswith("/") else raw
        if not path or path == "/":
            raise ImproperlyConfigured("DATABASE_URL sqlite:/// must name a file.")
        file = Path(path)
        if not file.is_absolute():
            file = base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(file),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres:// or sqlite:///, not {parsed.scheme!r}."
    )
