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
from shuzhi.ballots.models import (
    Ballot,
    BallotComment,
    BallotEntry,
    BallotRound,
    SealedBallot,
    VoteCode,
)
from shuzhi.ballots.tests.meeting_setup import (
    full_ballot,
    make_meeting,
    sealed_contents,
    shares_of,
)
from shuzhi.core.models import AuditEntry
from shuzhi.meetings.models import RosterCategory, RosterMember

CONTENT_TABLES = (Ballot, BallotComment, SealedBallot)
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
    before_id = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
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
        # Counting writes the opened ballots through the DB-API cursor too.
        services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    finally:
        connection.force_debug_cursor = False
    assert caplog.records, "the debug cursor logged nothing, so this test proves nothing"
    logged = caplog.text
    for secret in ("fair_good", "average", "poor", "较好", "一般", comment):
        assert secret not in logged
    # Not even the codes: the claim goes through the DB-API cursor as well.
    assert codes[0].code not in logged and codes[1].code not in logged
    assert Ballot.objects.count() == 1 and BallotEntry.objects.count() == 3
    assert not SealedBallot.objects.exists()
    # Nor do the organiser's acts carry contents: the vote wrote no audit entry, the count one
    # with counts only.
    assert list(
        AuditEntry.objects.filter(pk__gt=before_id).order_by("pk").values_list("action", flat=True)
    ) == [
        "ballot.round_close",
        "ballot.round_unseal",
    ]
    audit_text = " ".join(f"{a.changes} {a.note}" for a in AuditEntry.objects.all())
    for secret in ("fair_good", "average", comment, codes[0].code, *shares_of(rnd)):
        assert secret not in audit_text


def _cast_in_order(world, n: int):
    meeting = make_meeting(world, reporters=2, expected=(n, 0), present=(n, 0))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)
    order: list[uuid.UUID] = []
    for code in codes:
        services.submit_ballot(code=code.code, nonce="n", ratings=full_ballot(rnd, "good"))
        seen = set(order)
        new = set(SealedBallot.objects.filter(round=rnd).values_list("id", flat=True)) - seen
        order.append(new.pop())
    return rnd, order


def _physical_order(model, rnd) -> list[uuid.UUID]:
    position = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {model._meta.db_table} WHERE round_id = %s ORDER BY {position}",
            [rnd.pk],
        )
        return [uuid.UUID(str(r[0])) for r in cursor.fetchall()]


@pytest.mark.django_db
def test_cast_order_cannot_be_read_from_stored_data(world):
    rnd, order = _cast_in_order(world, 30)
    # While the round is open only sealed boxes are stored; their physical order follows
    # casting (documented), but a box says nothing without the supervisors' key …
    assert not Ballot.objects.filter(round=rnd).exists()
    assert _physical_order(SealedBallot, rnd) == order
    assert all(b.id.version == 4 for b in SealedBallot.objects.filter(round=rnd))
    assert len({bytes(b) for b in SealedBallot.objects.values_list("box", flat=True)}) == 30
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    # … and the count writes new rows with new random keys: nothing carries a sealed row's key
    # or its position over.
    ballots = list(Ballot.objects.filter(round=rnd))
    assert len(ballots) == 30 and all(b.id.version == 4 for b in ballots)
    assert not {b.id for b in ballots} & set(order)
    assert not SealedBallot.objects.filter(round=rnd).exists()
    assert {f.column for f in Ballot._meta.concrete_fields} == {
        "id",
        "round_id",
        "category",
        "ratings",
        "items",
    }
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
    assert SealedBallot.objects.filter(round=rnd).count() == 1
    assert [len(c["r"]) for c in sealed_contents(rnd, shares_of(rnd))] == [5]
    receipt = VoteCode.objects.get(code=code).receipt
    if same_nonce:
        assert results == [f"ok:{receipt}"] * 20
    else:
        assert results.count(f"ok:{receipt}") == 1 and results.count("used") == 19
