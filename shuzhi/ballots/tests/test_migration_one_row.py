"""Migration 0003 folds rating rows into one row per ballot, and back."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("ballots", "0002_entry_keys_checked_by_vote_path")]
AFTER = [("ballots", "0003_one_row_per_ballot")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    """Every app's last migration: where the rest of the suite expects the database to be
    (migrating to 0003 alone would leave every later migration of every app unapplied)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rating_rows_fold_into_ballots_and_back():
    apps = _migrate(BEFORE)
    try:
        entry = apps.get_model("ballots", "BallotEntry")
        first, second = uuid.uuid4(), uuid.uuid4()
        # Neither key carries a database constraint at 0002, so no round or session is needed.
        rows = [
            (first, "leaders", 11, "overall", "good"),
            (first, "leaders", 12, "overall", ""),
            (first, "leaders", 11, "duty", "fair_good"),
            (second, "public", 11, "overall", "poor"),
            (second, "public", 12, "overall", "good"),
        ]
        entry.objects.bulk_create(
            entry(
                id=uuid.uuid4(),
                round_id=9001,
                ballot=b,
                category=c,
                reporter_id=r,
                item=i,
                grade=g,
            )
            for b, c, r, i, g in rows
        )
        apps = _migrate(AFTER)
        ballot = apps.get_model("ballots", "Ballot")
        stored = {b.id: b for b in ballot.objects.filter(round_id=9001)}
        assert set(stored) == {first, second}
        assert stored[first].category == "leaders"
        assert stored[first].ratings == {"11": "good", "12": ""}
        assert stored[first].items == {"11": {"duty": "fair_good"}}
        assert stored[second].ratings == {"11": "poor", "12": "good"} and not stored[second].items
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ballot, category, reporter_id, item, grade FROM ballots_ballotentry "
                "WHERE round_id = 9001"
            )
            view = {(uuid.UUID(str(b)), c, r, i, g) for b, c, r, i, g in cursor.fetchall()}
        assert view == set(rows)
        apps = _migrate(BEFORE)
        entry = apps.get_model("ballots", "BallotEntry")
        back = entry.objects.filter(round_id=9001).values_list(
            "ballot", "category", "reporter_id", "item", "grade"
        )
        assert set(back) == set(rows)
    finally:
        _migrate(_latest())
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ballots_ballot WHERE round_id = 9001")
