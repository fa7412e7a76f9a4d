"""The database administrator after a real round: nothing they hold links a code to a ballot.

PostgreSQL only — ``xmin``, heap pages and the write-ahead log are PostgreSQL's. The round runs
for real (every vote and the count commit; the VACUUM after the count runs), then the test
reads what an administrator could: the transaction ids of live rows, every row version left in
the heap pages (``pageinspect``), the write-ahead log of the whole round (``pg_walinspect``),
the application's log records and the published receipts. It also watches the round live, as
an administrator polling the code table would, to know which transaction claimed which code.
See docs/decisions/0004-ballot-anonymity.md.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import DatabaseError, connection

from shuzhi.ballots import services
from shuzhi.ballots.models import Ballot, BallotComment, SealedBallot, VoteCode
from shuzhi.ballots.tests.meeting_setup import make_meeting, shares_of

pytestmark = [
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="xmin, heap pages and the write-ahead log are PostgreSQL's",
    ),
    pytest.mark.django_db(transaction=True),
]

GRADES = ("good", "fair_good", "average", "poor")
CONTENT_TABLES = ("ballots_ballot", "ballots_ballotcomment")


def _one(sql: str, params: list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None


def _all(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _extension(name: str) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
        return True
    except DatabaseError:
        return False


def _heap_versions(table: str) -> list[tuple[int, int]]:
    """``(lp_flags, t_xmin)`` of every line pointer of every page of ``table``: live rows, dead
    ones not yet removed, and the slots VACUUM freed (flags 0, no xmin)."""
    pages = _one(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int")
    rows: list[tuple[int, int]] = []
    for page in range(int(pages or 0)):
        rows += _all(
            f"SELECT lp_flags, t_xmin::text::bigint FROM heap_page_items(get_raw_page('{table}', "
            "%s))",
            [page],
        )
    return rows


def _cast(client, meeting, rnd, codes: list[str]) -> dict[str, int]:
    """Vote with every code — by the phone's page, the API and the service, with and without
    comments — and note, as a live observer of the code table would, which transaction
    claimed each code. Returns ``{code: claiming transaction id}``."""
    claims: dict[str, int] = {}
    reporters = [str(r.pk) for r in meeting.reporters]
    for i, code in enumerate(codes):
        ratings = {key: GRADES[(i + j) % 4] for j, key in enumerate(reporters)}
        comment = f"第{i:02d}号意见：多下基层" if i % 3 == 0 else ""
        if i % 3 == 0:
            form = {f"o_{key}": grade for key, grade in ratings.items()}
            form |= {f"c_{reporters[0]}": comment, "nonce": f"page-{i}"}
            assert client.post(f"/v/{code}/", form).status_code == 200
        elif i % 3 == 1:
            body = {"nonce": f"api-{i}", "ratings": {k: {"overall": g} for k, g in ratings.items()}}
            response = client.post(f"/api/vote/{code}", body, content_type="application/json")
            assert response.status_code == 200
        else:
            services.submit_ballot(
                code=code, nonce=f"svc-{i}", ratings={k: {"overall": g} for k, g in ratings.items()}
            )
        claims[code] = int(
            _one("SELECT xmin::text::bigint FROM ballots_votecode WHERE code = %s", [code])
        )
        # While the round is open the box does share the claim's transaction — the link this
        # test hunts for exists, so finding nothing later means something …
        newest = _all(
            "SELECT xmin::text::bigint, box FROM ballots_sealedballot "
            "WHERE xmin::text::bigint = %s",
            [claims[code]],
        )
        assert len(newest) == 1
        # … but it links a code to a sealed box only.
        box = bytes(newest[0][1])
        assert not any(g.encode() in box for g in GRADES)
        assert not comment or comment.encode() not in box
    return claims


def test_the_database_administrator_links_no_code_to_any_ballot(world, client, caplog):
    caplog.set_level(logging.DEBUG)
    meeting = make_meeting(world, reporters=3, expected=(12, 6))
    rnd = services.open_round(
        actor=world.alice, session=meeting.session, supervisors=["甲", "乙", "丙"], threshold=2
    )
    shares = shares_of(rnd)
    codes = [c.code for c in services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)]
    walinspect = _extension("pg_walinspect")
    pageinspect = _extension("pageinspect")
    start_lsn = _one("SELECT pg_current_wal_insert_lsn()::text")

    claims = _cast(client, meeting, rnd, codes[:15])
    # Refusals: an unknown code, a used one, each on the page and the API.
    assert client.get("/v/ZZZZZZZZ/").status_code == 404
    assert client.post("/api/vote/ZZZZZZZZ", {}, content_type="application/json").status_code == 404
    refused = client.post(
        f"/api/vote/{codes[1]}", {"nonce": "again", "ratings": {}}, content_type="application/json"
    )
    assert refused.status_code == 409
    assert client.post(f"/v/{codes[0]}/", {"nonce": "again"}).status_code == 200
    # The close and the count, by two of the three supervisors; each commits; VACUUM follows.
    rnd = services.close_round(actor=world.alice, ballot_round=rnd, shares=[shares[2], shares[0]])
    end_lsn = _one("SELECT pg_current_wal_flush_lsn()::text")
    claim_ids = set(claims.values())
    assert len(claim_ids) == 15
    assert Ballot.objects.filter(round=rnd).count() == 15
    assert BallotComment.objects.filter(round=rnd).count() == 5
    assert not SealedBallot.objects.exists()

    # 1. xmin of the live rows: the ballots and comments carry the count's transaction id, one
    # for all; the codes the close's — none a claim's, so not even the order of use shows.
    content_ids = {
        xid
        for table in CONTENT_TABLES
        for (xid,) in _all(
            f"SELECT DISTINCT xmin::text::bigint FROM {table} WHERE round_id = %s", [rnd.pk]
        )
    }
    code_ids = {
        xid
        for (xid,) in _all(
            "SELECT DISTINCT xmin::text::bigint FROM ballots_votecode WHERE round_id = %s",
            [rnd.pk],
        )
    }
    assert len(content_ids) == 1 and len(code_ids) == 1
    assert not (content_ids | code_ids) & claim_ids

    skipped = []
    # 2. Every row version left in the heap pages, live or dead.
    if pageinspect:
        for table in (*CONTENT_TABLES, "ballots_sealedballot", "ballots_votecode"):
            versions = _heap_versions(table)
            assert not [v for v in versions if v[1] in claim_ids], table
        assert not [v for v in _heap_versions("ballots_sealedballot") if v[0] == 1]
    else:
        skipped.append("pageinspect is not available: old row versions not inspected")

    # 3. The write-ahead log of the whole round: the claims' transactions wrote the codes and
    # the sealed boxes, and not one record of the ballot or comment tables.
    if walinspect:
        nodes = {
            table: str(_one("SELECT pg_relation_filenode(%s)", [table]))
            for table in (*CONTENT_TABLES, "ballots_sealedballot")
        }
        try:
            records = _all(
                "SELECT xid::text::bigint, coalesce(block_ref, '') "
                "FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn)",
                [start_lsn, end_lsn],
            )
        except DatabaseError as error:  # segments recycled on a busy server
            records = []
            skipped.append(f"the write-ahead log could not be read: {error}")
        if records:

            def touches(ref: str, table: str) -> bool:
                return re.search(rf"rel \d+/\d+/{nodes[table]}\b", ref) is not None

            by_claim = [(xid, ref) for xid, ref in records if xid in claim_ids]
            assert {xid for xid, ref in by_claim if touches(ref, "ballots_sealedballot")} == (
                claim_ids
            )
            for table in CONTENT_TABLES:
                assert not [xid for xid, ref in by_claim if touches(ref, table)], table
    else:
        skipped.append("pg_walinspect is not available: the write-ahead log not inspected")

    # 4. The logs: refusals were logged, with no code in them.
    logged = caplog.text
    assert "Not Found: /v/…/" in logged
    assert not [code for code in [*codes, "ZZZZZZZZ"] if code in logged]

    # 5. The receipts: published for the used codes, found in no ballot or comment.
    receipts = services.counted_receipts(rnd)
    assert len(receipts) == 15
    stored = json.dumps(
        [
            list(Ballot.objects.values_list("ratings", "items")),
            list(BallotComment.objects.values_list("text", flat=True)),
        ],
        ensure_ascii=False,
    )
    assert not [r for r in receipts if r in stored]
    assert not [c for c in codes if c in stored]
    assert VoteCode.objects.filter(round=rnd, used=True).count() == 15
    if skipped:
        pytest.skip("; ".join(skipped))
