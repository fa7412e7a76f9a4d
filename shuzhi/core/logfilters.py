"""Logging filters that keep vote codes out of every log line.

A vote code in a log beside a time (and, for a proxy, an address) is the start of a link from
a slip to a ballot. Django logs the path of every refused request (``django.request``: "Not
Found: /v/<code>/", "Conflict: /api/vote/<code>") and the development server logs every
request line (``django.server``). :class:`RedactVoteCodes`, set on those loggers in the
settings, rewrites such paths to ``/v/…/`` before any handler sees the record, and drops the
request an error e-mail would describe. See docs/deployment.md for the proxy and server logs.
"""

from __future__ import annotations

import logging
import re

# /v/<code>/ (the phone's page) and /api/vote/<code> (the voter API); ?code= (the code typed
# on the entry page, before its redirect).
_PATHS = re.compile(r"(/v/|/api/vote/)[^/\s?#\"']+")
_QUERY = re.compile(r"([?&]code=)[^&\s#\"']*")
MASK = "…"


def redact(text: str) -> str:
    """``text`` with every vote code in a path or query replaced by an ellipsis."""
    return _QUERY.sub(r"\1" + MASK, _PATHS.sub(r"\1" + MASK, text))


def _clean(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactVoteCodes(logging.Filter):
    """Remove vote codes from a record's message and arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        request = getattr(record, "request", None)
        path = getattr(request, "path", "")
        if isinstance(path, str) and redact(path) != path:
            # An error report would print the request (path, query, headers): leave it out.
            record.request = None
        return True
