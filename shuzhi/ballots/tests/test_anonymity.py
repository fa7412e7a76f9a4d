"""Anonymity by construction: nothing joins a ballot to a code, a voter, a user or a time.

See docs/decisions/0004-ballot-anonymity.md.
"""

from __future__ import annotations

import logging
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, models

from shuzhi.ballots import services
from shuzhi.ballots.models import Ballot, BallotComment, BallotEntry, BallotRound, VoteCode
from shuzhi.ballots.tests.meeting_setup import full_ballot, make_meeting
from shuzhi.core.models import AuditEntry
from shuzhi.meetings.models import RosterCategory, RosterMember

CONTENT_TABLES = (Ballot, BallotComment)
FORBIDDEN_TARGETS = {VoteCode, RosterMember, RosterCategory}


def _forbidden(model) -> bool:
    return model in FORBIDDEN_TARGETS or model is get_user_model()


@pytest.mark.smoke
@pytest.mark.parametrize("model", CONTENT_TABLES)
def test_ballot_content_has_no_link_and_no_time(model):
    for field in model._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            assert not _forbidden(field.related_model), f"{model.__name__}.{field.name}"
        assert not isinstance(field, models.DateField | models.TimeField), field.name
        assert not isinstance(field, models.AutoField | models.BigAutoField), field.name
        assert (
            "code" not in field.name and "nonce" not in field.name and "receipt" not in field.name
        )
    assert isinstance(model._meta.pk, models.UUIDField)


def test_rating_view_has_no_link_and_no_time():
    """The view the tally reads derives every column from ``ballots_ballot``."""
    for field in BallotEntry._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            assert not _forbidden(field.related_model), field.name
        assert not isinstance(field, models.DateField | models.TimeField), field.name
        assert not isinstance(field, models.AutoField | models.BigAutoField), field.name
    assert not BallotEntry._meta.managed


def test_vote_code_records_no_time_user_or_content():
    names = set()
    for field in VoteCode._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            assert field.related_model is BallotRound, field.name
        assert not isinstance(field, models.DateField | models.TimeField), field.name
        names.add(field.name)
    assert names == {"id", "round", "code", "category", "used", "nonce", "receipt"}


@pytest.mark.django_db
def test_database_has_no_key_from_ballots_to_codes_or_people():
    tables = {VoteCode._meta.db_table, RosterMember._meta.db_table, get_user_model()._meta.db_table}
    with connection.cursor() as cursor:
        for model in (*CONTENT_TABLES, BallotEntry):
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            targets = {c["foreign_key"][0] for c in constraints.values() if c["foreign_key"]}
            assert not targets & tables, model
            columns = connection.introspection.get_table_description(cursor, model._meta.db_table)
            assert not [c.name for c in columns if "time" in c.name or c.name.endswith("_at")]


@pytest.mark.django_db
def test_submit_writes_no_audit_and_logs_no_content(world, caplog):
    meeting = make_meeting(world, reporters=3)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd)
    before = AuditEntry.objects.count()
    ratings = full_ballot(rnd, "fair_good")
    ratings[str(meeting.reporters[0].pk)] = {"overall": "average"}
    comment = "意见内容甲乙丙"
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    connection.force_debug_cursor = True  # as with DEBUG = True: Django logs every query
    try:
        services.submit_ballot(
            code=codes[0].code,
            nonce="n",
            ratings=ratings,
            comments={str(meeting.reporters[1].pk): comment},
        )
        with pytest.raises(Exception):  # noqa: B017 — refused ballots log nothing either
            services.submit_ballot(code=codes[1].code, nonce="m", ratings={"x": "poor"})
    finally:
        connection.force_debug_cursor = False
    assert AuditEntry.objects.count() == before
    assert caplog.records, "the debug cursor logged nothing, so this test proves nothing"
    logged = caplog.text
    for secret in ("fair_good", "average", "poor", "较好", "一般", comment):
        assert secret not in logged
    assert Ballot.objects.count() == 1 and BallotEntry.objects.count() == 3
    # Nor do the organiser's acts carry contents.
    services.close_round(actor=world.alice, ballot_round=rnd)
    audit_text = " ".join(f"{a.changes} {a.note}" for a in AuditEntry.objects.all())
    for secret in ("fair_good", "average", comment, codes[0].code):
        assert secret not in audit_text


def _cast_in_order(world, n: int):
    meeting = make_meeting(world, reporters=2, expected=(n, 0), present=(n, 0))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)
    order: list[uuid.UUID] = []
    for code in codes:
        services.submit_ballot(code=code.code, nonce="n", ratings=full_ballot(rnd, "good"))
        seen = set(order)
        new = set(Ballot.objects.filter(round=rnd).values_list("id", flat=True)) - seen
        order.append(new.pop())
    return rnd, order


def _physical_order(rnd) -> list[uuid.UUID]:
    position = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM ballots_ballot WHERE round_id = %s ORDER BY {position}", [rnd.pk]
        )
        return [uuid.UUID(str(r[0])) for r in cursor.fetchall()]


@pytest.mark.django_db
def test_cast_order_cannot_be_read_from_stored_data(world):
    rnd, order = _cast_in_order(world, 30)
    ballots = list(Ballot.objects.filter(round=rnd))
    assert all(b.id.version == 4 for b in ballots)
    # Sorting by any stored value does not give the cast order: the random key, and the
    # contents (all alike here), are all there is.
    assert sorted(order) != order
    assert {tuple(b.ratings.items()) for b in ballots} == {tuple(ballots[0].ratings.items())}
    assert {f.column for f in Ballot._meta.concrete_fields} == {
        "id",
        "round_id",
        "category",
        "ratings",
        "items",
    }
    # While the round is open the physical order still follows casting (documented) …
    assert _physical_order(rnd) == order
    services.close_round(actor=world.alice, ballot_round=rnd)
    # … and closing rewrites the rows in random order.
    assert _physical_order(rnd) != order
    assert sorted(_physical_order(rnd)) == sorted(order)
    assert BallotEntry.objects.filter(round=rnd).count() == 60


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_nonce", [False, True])
def test_same_code_from_twenty_connections_yields_one_ballot(world, same_nonce):
    meeting = make_meeting(world, reporters=5)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    code = services.issue_codes(actor=world.alice, ballot_round=rnd)[0].code
    ratings = full_ballot(rnd, "good")
    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def voter(i: int) -> None:
        try:
            barrier.wait()
            try:
                receipt = services.submit_ballot(
                    code=code, nonce="same" if same_nonce else f"n{i}", ratings=ratings
                )
                outcome = f"ok:{receipt}"
            except services.VoteRefused as refused:
                outcome = refused.reason
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert Ballot.objects.filter(round=rnd).count() == 1
    assert BallotEntry.objects.filter(round=rnd).count() == 5
    receipt = VoteCode.objects.get(code=code).receipt
    if same_nonce:
        assert results == [f"ok:{receipt}"] * 20
    else:
        assert results.count(f"ok:{receipt}") == 1 and results.count("used") == 19
