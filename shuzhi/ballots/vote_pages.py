"""The phone's ballot and receipt pages, rendered once and spliced per voter.

A round's ballot page is the same for every voter of the round except the hidden nonce, so
each worker renders ``ballots/vote_ballot.html`` once per round and language — with a marker
where the nonce goes — and answers every phone with the two halves around a fresh nonce. The
receipt page is rendered once per language the same way, around the receipt.

**What invalidates the cached page.** The page is keyed by round id and language and checked
on every request against the version of the round row it was rendered from, read in the same
query that checks the code (:func:`code_state`): on PostgreSQL the row's ``xmin`` (the
transaction that last wrote it — any ``UPDATE`` of the round, through a service, the admin or
SQL, changes it); on SQLite the round's number, test flag and the stored text of its reporter
and policy snapshots. Any change to the round renders the page afresh.

**Compression.** A phone that accepts gzip gets the page gzipped. The part before the nonce is
compressed once (deflate, flushed to a byte boundary); per request only the nonce and the short
tail are appended as a stored (uncompressed) deflate block, with the CRC continued from the
compressed part. So compression costs no CPU per request, and — since the secret (the nonce)
is never compressed together with anything — no length of the answer depends on how the nonce
matches other text (BREACH). The ballot page reflects no request input besides: the code is not
in the page (the form posts to the page's own address). Pages that reflect what the voter
typed (the ballot re-rendered with its errors) are never compressed.

**Anonymity (0004).** The cache holds the blank form of a round — reporters, scale, quotas —
and nothing of any voter: no code, no nonce, no choice. It is keyed by round, never by code.
"""

from __future__ import annotations

import re
import secrets
import struct
import weakref
import zlib
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation

from . import services
from .models import BallotRound

# gzip: header (no name, no time, unknown OS) and raw deflate inside, as RFC 1952 describes.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_STORED_MAX = 0xFFFF
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether the phone said it takes gzip (``gzip;q=0`` refuses it)."""
    if not _ACCEPTS_GZIP.search(accept_encoding):
        return False
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() == "gzip":
            params = params.replace(" ", "")
            return params not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return True


def _stored_blocks(data: bytes) -> bytes:
    """``data`` as the final stored (uncompressed) deflate blocks of a stream."""
    out = bytearray()
    start = 0
    while True:
        chunk = data[start : start + _STORED_MAX]
        start += len(chunk)
        final = start >= len(data)
        out += struct.pack("<BHH", 1 if final else 0, len(chunk), len(chunk) ^ 0xFFFF) + chunk
        if final:
            return bytes(out)


@dataclass(frozen=True)
class SplicedPage:
    """A page rendered once with a gap for one per-voter value, plain and gzipped."""

    head: bytes
    tail: bytes
    gzip_head: bytes  # gzip header + the head deflated and flushed to a byte boundary
    head_crc: int

    @classmethod
    def split(cls, html: str, marker: str) -> SplicedPage:
        before, found, after = html.partition(marker)
        if not found or marker in after:
            raise ValueError("the page must hold its marker exactly once")
        head, tail = before.encode(), after.encode()
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
        # Z_SYNC_FLUSH ends on a byte boundary without ending the stream: stored blocks follow.
        body = deflate.compress(head) + deflate.flush(zlib.Z_SYNC_FLUSH)
        return cls(head, tail, _GZIP_HEADER + body, zlib.crc32(head))

    def plain(self, value: str) -> bytes:
        return self.head + value.encode() + self.tail

    def gzipped(self, value: str) -> bytes:
        rest = value.encode() + self.tail
        crc = zlib.crc32(rest, self.head_crc)
        size = (len(self.head) + len(rest)) & 0xFFFFFFFF
        return self.gzip_head + _stored_blocks(rest) + struct.pack("<II", crc, size)

    def content(self, value: str, *, gzip: bool) -> bytes:
        return self.gzipped(value) if gzip else self.plain(value)


# --- The code's state and the round's form, in one query ------------------------------------

# PostgreSQL: the round row's xmin is its version, so the snapshots' JSON (a few KB to turn
# into text for every phone) is read only when the page must be rendered. The statement is
# prepared once per connection (as the vote's own, see services), so a hall's GETs skip parsing
# and planning.
_STATE_PG = (
    "SELECT c.used, r.id, r.status, r.xmin::text "
    "FROM ballots_votecode c JOIN ballots_ballotround r ON r.id = c.round_id "
    "WHERE c.code = $1"
)
_STATE_NAME = "ballots_code_state"
_STATE_PREPARE = f"PREPARE {_STATE_NAME} (varchar) AS {_STATE_PG}"
_STATE_EXECUTE = f"EXECUTE {_STATE_NAME} (%s)"
# The DB-API connections (weakly held) on which this worker has prepared the statement.
_prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()
_STATE_SQL = {
    "sqlite": (
        "SELECT c.used, r.id, r.status, "
        "r.number || '|' || r.is_test || '|' || r.reporters || '|' || r.policy "
        "FROM ballots_votecode c JOIN ballots_ballotround r ON r.id = c.round_id "
        "WHERE c.code = %s"
    ),
}


@dataclass(frozen=True)
class CodeState:
    """A code's use, its round and the version of the round row: from one row."""

    used: bool
    round_id: int
    status: str
    version: str


def code_state(code: str) -> CodeState | None:
    """The code's state and its round's version, or None for an unknown code. One query."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            link = connection.connection
            if link not in _prepared_on:
                cursor.execute(
                    "SELECT 1 FROM pg_prepared_statements WHERE name = %s", [_STATE_NAME]
                )
                if cursor.fetchone() is None:
                    cursor.execute(_STATE_PREPARE)
                _prepared_on.add(link)
            cursor.execute(_STATE_EXECUTE, [code])
        else:
            cursor.execute(_STATE_SQL[connection.vendor], [code])
        row = cursor.fetchone()
    if row is None:
        return None
    used, round_id, status, version = row
    return CodeState(bool(used), round_id, status, str(version))


# --- The ballot page ----------------------------------------------------------------------


def ballot_context(
    form: services.BallotForm,
    *,
    number: int,
    is_test: bool,
    nonce: str,
    data: Any = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The template context of the ballot: blank, or with the voter's choices and errors."""
    errors = errors or {}
    general = errors.get("quotas", []) + errors.get("ratings", []) + errors.get("comments", [])
    quotas = [
        {"code": grade, "label": form.grades.get(grade, grade), "limit": limit}
        for grade, limit in form.quotas.items()
    ]
    return {
        "nonce": nonce,
        "round": {"number": number, "is_test": is_test},
        "rows": _rows(form, data, errors),
        "allow_abstain": form.allow_abstain,
        "has_items": bool(form.items),
        "quotas": quotas,
        "general_errors": general,
        "has_errors": bool(errors),
        "comment_max": services.COMMENT_MAX_LENGTH,
    }


def _rows(form: services.BallotForm, data: Any, errors: dict[str, list[str]]) -> list[dict]:
    """The ballot's rows for the template, with the voter's choices and errors kept."""
    rows = []
    for reporter in form.reporters:
        key = str(reporter["id"])
        overall = data.get(f"o_{key}", "") if data is not None else ""
        rows.append(
            {
                "id": key,
                "unit": reporter.get("unit", ""),
                "name": reporter.get("name", ""),
                "grades": [
                    {"code": code, "label": label, "checked": overall == code}
                    for code, label in form.grades.items()
                ],
                "abstain_checked": data is not None and overall == "" and form.allow_abstain,
                "items": [
                    {
                        "code": item,
                        "label": label,
                        "grades": [
                            {
                                "code": code,
                                "label": label,
                                "checked": data is not None
                                and data.get(f"i_{key}_{item}", "") == code,
                            }
                            for code, label in form.grades.items()
                        ],
                    }
                    for item, label in form.items.items()
                ],
                "comment": data.get(f"c_{key}", "") if data is not None else "",
                "errors": errors.get(key, []),
            }
        )
    return rows


def render_ballot(round_id: int, **kwargs: Any) -> str:
    """The ballot page of a round (errors and choices in ``kwargs``), rendered now."""
    ballot_round = BallotRound.objects.only("number", "is_test", "reporters", "policy").get(
        pk=round_id
    )
    form = services.form_for_round(ballot_round)
    context = ballot_context(
        form, number=ballot_round.number, is_test=ballot_round.is_test, **kwargs
    )
    return render_to_string("ballots/vote_ballot.html", context)


# Blank ballot pages by (round id, language), with the version they were rendered from.
_BALLOTS: dict[tuple[int, str], tuple[str, SplicedPage]] = {}
_CACHE_LIMIT = 64


def ballot_page(state: CodeState) -> SplicedPage:
    """The blank ballot page of the code's round, rendered once per round, language and
    version of the round row."""
    key = (state.round_id, translation.get_language() or "")
    version = state.version
    cached = _BALLOTS.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    marker = secrets.token_hex(16)
    page = SplicedPage.split(render_ballot(state.round_id, nonce=marker), marker)
    if len(_BALLOTS) >= _CACHE_LIMIT:
        _BALLOTS.clear()
    _BALLOTS[key] = (version, page)
    return page


# --- The receipt page ---------------------------------------------------------------------

_RECEIPTS: dict[str, SplicedPage] = {}


def receipt_page() -> SplicedPage:
    """The receipt page, rendered once per language; the receipt is spliced in."""
    language = translation.get_language() or ""
    page = _RECEIPTS.get(language)
    if page is None:
        marker = secrets.token_hex(16)
        html = render_to_string("ballots/vote_done.html", {"receipt": marker})
        page = _RECEIPTS[language] = SplicedPage.split(html, marker)
    return page


def clear() -> None:
    """Forget every rendered page (tests; a deployment that changed the templates restarts)."""
    _BALLOTS.clear()
    _RECEIPTS.clear()
