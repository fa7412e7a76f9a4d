"""The full-hall benchmark's bookkeeping: acknowledged receipts against what was stored.

The benchmark itself (``python -m bench.hall_vote``) is not a test; these check that its loss
and duplicate counts would catch a lost or doubled ballot.
"""

from __future__ import annotations

import pytest

from bench.hall_load import parse_head
from bench.hall_vote import LoadResult, percentile, reconcile, slices

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
