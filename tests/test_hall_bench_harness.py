"""The full-hall benchmark's bookkeeping: acknowledged receipts against what was stored.

The benchmark itself (``python -m bench.hall_vote``) is not a test; these check that its loss
and duplicate counts would catch a lost or doubled ballot.
"""

from __future__ import annotations

import asyncio
import gzip
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.hall_load import (
    NONCE,
    Phone,
    build_requests,
    page_text,
    parse_head,
    parse_head_full,
    phone_post,
    read_body,
)
from bench.hall_vote import Hall, LoadResult, form_body, percentile, reconcile, slices

pytestmark = pytest.mark.smoke


def test_a_clean_run_has_nothing_lost_or_duplicated():
    result = reconcile(["A", "B", "C"], ["A", "B", "C"], [40, 40, 40], expected_rows=40)
    assert (result.lost, result.duplicated, result.code_mismatch, result.malformed) == (0, 0, 0, 0)


def test_an_acknowledged_receipt_no_code_carries_is_lost():
    result = reconcile(["A", "B", "C"], ["A", "B"], [40, 40], expected_rows=40)
    assert result.lost == 1
    assert result.duplicated == 0


def test_a_used_code_without_its_ballot_is_lost_and_mismatched():
    result = reconcile(["A", "B"], ["A", "B"], [40], expected_rows=40)
    assert result.lost == 1
    assert result.code_mismatch == 1


def test_a_ballot_stored_beyond_the_used_codes_is_duplicated():
    result = reconcile(["A", "B"], ["A", "B"], [40, 40, 40], expected_rows=40)
    assert result.duplicated == 1
    assert result.code_mismatch == 1
    assert result.lost == 0


def test_a_receipt_acknowledged_twice_is_duplicated():
    assert reconcile(["A", "A"], ["A"], [40], expected_rows=40).duplicated == 1


def test_two_codes_that_drew_the_same_receipt_are_not_a_duplicate():
    result = reconcile(["A", "A", "B"], ["A", "A", "B"], [40, 40, 40], expected_rows=40)
    assert result.duplicated == 0 and result.lost == 0


def test_an_unacknowledged_stored_ballot_is_neither_lost_nor_duplicated():
    # A worker killed after the commit, before the answer: stored, never acknowledged.
    result = reconcile(["A"], ["A", "B"], [40, 40], expected_rows=40)
    assert (result.lost, result.duplicated, result.code_mismatch) == (0, 0, 0)


def test_a_ballot_with_missing_rows_is_malformed():
    assert reconcile(["A", "B"], ["A", "B"], [40, 39], expected_rows=40).malformed == 1


def test_load_results_add_up_over_slices():
    result = LoadResult("shuzhi")
    result.add({"results": [["/a", 200, "R1", 0.010], ["/b", 409, "", 0.002]], "first": 1.0,
                "last": 2.0, "cpu": 0.1})  # fmt: skip
    result.add({"results": [["/c", 200, "R2", 0.030], ["/d", 0, "", 0.0]], "first": 5.0,
                "last": 6.0, "cpu": 0.1})  # fmt: skip
    assert result.sent == 4
    assert result.acknowledged == 2
    assert result.receipts == ["R1", "R2"]
    assert result.statuses[0] == 1
    assert result.throughput == pytest.approx(1.0)  # 2 ballots in 2 s of load
    assert result.percentile_ms(50) == pytest.approx(2.0)
    assert result.percentile_ms(99) == pytest.approx(30.0)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 99) == 0.0


def test_slices_cover_every_code_once():
    codes = [str(i) for i in range(10)]
    parts = slices(codes, 3)
    assert [len(p) for p in parts] == [4, 3, 3]
    assert [code for part in parts for code in part] == codes


def test_the_client_reads_status_length_and_connection_close():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
    assert parse_head(head) == (200, 17, False)
    assert parse_head(b"HTTP/1.1 409 Conflict\r\ncontent-length: 3\r\n\r\n") == (409, 3, True)


def test_phone_flows_add_their_request_times_and_page_sizes():
    result = LoadResult("phone")
    result.add({"results": [["/v/A/", 200, "R1", 0.050, 0.020, 0.030, 9000, True],
                            ["/v/B/", 599, "", 0.010, 0.010, 0.0, 400, False],
                            ["/v/C/", 0, "", 0.0]],
                "first": 1.0, "last": 2.0, "cpu": 0.1})  # fmt: skip
    assert result.sent == 3 and result.receipts == ["R1"]
    assert result.get_latencies == [0.020, 0.010]
    assert result.post_latencies == [0.030]  # no POST without a nonce
    assert result.page_bytes == [9000, 400] and result.page_gzip == 1


def test_the_client_reads_gzip_and_chunked_answers():
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    assert parse_head_full(head) == (200, -1, True, True)

    async def chunked() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n")
        reader.feed_eof()
        return await read_body(reader, -1)

    # In a thread of its own: the browser tests' driver may keep an event loop running in
    # this one, and asyncio.run refuses to start inside a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, chunked()).result() == b"abcde"
    page = gzip.compress(b'<input type="hidden" name="nonce" value="ab12">')
    assert NONCE.search(page_text(page, True)).group(1) == b"ab12"


def test_a_phone_posts_the_nonce_of_its_page_with_its_form():
    [(path, phone)] = build_requests(["phone\t/v/ABCD2345/\to_1=good&o_2=poor"], "h", 80)
    assert path == "/v/ABCD2345/" and isinstance(phone, Phone)
    assert phone.get.startswith(b"GET /v/ABCD2345/ HTTP/1.1\r\n")
    assert b"Accept-Encoding: gzip" in phone.get
    post = phone_post(phone, "ab12")
    head, _, body = post.partition(b"\r\n\r\n")
    assert body == b"nonce=ab12&o_1=good&o_2=poor"
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"application/x-www-form-urlencoded" in head


def test_the_phone_form_rates_every_reporter_and_sub_item():
    hall = Hall(1, [7, 8], [], [], ["good", "poor"], item_codes=["duty"])
    fields = dict(f.split("=") for f in form_body(hall, random.Random(1)).split("&"))
    assert set(fields) == {"o_7", "i_7_duty", "o_8", "i_8_duty"}
    assert set(fields.values()) <= {"good", "poor"}
