"""Ballot rounds, codes and the vote: every refusal, test mode, re-votes and void rounds."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuzhi.ballots import services
from shuzhi.ballots.models import (
    Ballot,
    BallotComment,
    BallotEntry,
    BallotRound,
    BallotRoundStatus,
    PaperEntry,
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
from shuzhi.meetings.models import Session, SessionStatus

pytestmark = pytest.mark.django_db


def opened(world, **kwargs):
    meeting = make_meeting(world, **kwargs)
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd)
    return meeting, rnd, codes


def count(world, rnd):
    """Close the round and count its sealed ballots with the supervisor's share."""
    return services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))


def vote(rnd, code, grade="good", nonce=None, **kwargs):
    return services.submit_ballot(
        code=code.code, nonce=nonce or uuid.uuid4().hex, ratings=full_ballot(rnd, grade), **kwargs
    )


# --- open_round -----------------------------------------------------------------------------


@pytest.mark.smoke
def test_open_round_snapshots_reporters_and_policy(world):
    meeting = make_meeting(world, reporters=3, quotas={"good": 2})
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    assert rnd.number == 1 and rnd.status == BallotRoundStatus.OPEN and not rnd.is_test
    assert [r["id"] for r in rnd.reporters] == [r.pk for r in meeting.reporters]
    assert rnd.reporters[0] == {"id": meeting.reporters[0].pk, "unit": "第1党委", "name": "书记1"}
    assert [s["code"] for s in rnd.policy["scale"]] == ["good", "fair_good", "average", "poor"]
    assert rnd.policy["quotas"] == {"good": 2}
    assert [c["code"] for c in rnd.policy["categories"]] == ["leaders", "members"]
    assert rnd.policy["categories"][0]["weight"] == "0.5000"
    assert rnd.policy["min_ballots"] == 5 and "show_live_results" not in rnd.policy
    assert Session.objects.get(pk=meeting.session.pk).status == SessionStatus.IN_PROGRESS
    entry = AuditEntry.objects.get(action="ballot.round_open")
    assert entry.changes["number"] == [None, 1]
    # The session starts through the meetings service, so the move is audited there.
    started = AuditEntry.objects.get(action="session.status")
    assert started.changes == {"status": ["planned", "in_progress"]}
    assert started.object_id == str(meeting.session.pk)


def test_a_second_formal_round_leaves_the_session_move_alone(world):
    meeting = make_meeting(world, reporters=2)
    first = services.open_round(actor=world.alice, session=meeting.session)
    services.close_round(actor=world.alice, ballot_round=first, shares=shares_of(first))
    services.open_round(actor=world.alice, session=meeting.session)
    assert AuditEntry.objects.filter(action="session.status").count() == 1


def test_test_round_leaves_the_session_planned(world):
    meeting = make_meeting(world, reporters=2)
    services.open_round(actor=world.alice, session=meeting.session, is_test=True)
    assert Session.objects.get(pk=meeting.session.pk).status == SessionStatus.PLANNED


def test_open_round_refuses_exactly_half(world):
    meeting = make_meeting(world, expected=(6, 4), present=(3, 2))
    with pytest.raises(ValidationError) as exc:
        services.open_round(actor=world.alice, session=meeting.session)
    assert "未达到法定人数" in str(exc.value)
    assert not BallotRound.objects.exists()


def test_open_round_accepts_more_than_half(world):
    meeting = make_meeting(world, expected=(6, 4), present=(4, 2))
    assert services.open_round(actor=world.alice, session=meeting.session).number == 1


def test_test_round_needs_no_quorum(world):
    meeting = make_meeting(world, expected=(6, 4), present=(0, 0))
    rnd = services.open_round(actor=world.alice, session=meeting.session, is_test=True)
    assert rnd.is_test


def test_open_round_refuses_while_another_is_open(world):
    meeting = make_meeting(world)
    services.open_round(actor=world.alice, session=meeting.session)
    with pytest.raises(ValidationError, match="正在进行"):
        services.open_round(actor=world.alice, session=meeting.session)


def test_open_round_refuses_without_reporters(world):
    meeting = make_meeting(world, reporters=0)
    with pytest.raises(ValidationError, match="述职人"):
        services.open_round(actor=world.alice, session=meeting.session)


@pytest.mark.parametrize("persona", ["bob", "carol", "dave", "erin"])
def test_open_round_needs_ballot_manage(world, persona):
    meeting = make_meeting(world)
    with pytest.raises(PermissionDenied):
        services.open_round(actor=getattr(world, persona), session=meeting.session)
    assert not BallotRound.objects.exists()


def test_organiser_of_another_branch_cannot_manage(world):
    from shuzhi.accounts.models import Role
    from shuzhi.core.testing import make_user

    frank = make_user("frank", (Role.ORGANISER, world.city_b))
    meeting = make_meeting(world, host=world.city_a)
    with pytest.raises(PermissionDenied):
        services.open_round(actor=frank, session=meeting.session)


# --- codes ----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_issue_codes_per_category_with_margin(world):
    _meeting, rnd, codes = opened(world, expected=(30, 4))
    by_category = {c: sum(1 for x in codes if x.category == c) for c in ("leaders", "members")}
    assert by_category == {"leaders": 33, "members": 6}  # 30 + 3; 4 + minimum 2
    assert len({c.code for c in codes}) == len(codes)
    assert all(len(c.code) == 8 and set(c.code) <= set(services.ALPHABET) for c in codes)
    assert VoteCode.objects.filter(round=rnd).count() == 39
    entry = AuditEntry.objects.get(action="ballot.codes_issue")
    assert entry.changes == {"leaders": [None, 33], "members": [None, 6]}
    assert not any(c.code in str(entry.changes) + entry.note for c in codes)


def test_issue_codes_shuffles_categories(world):
    _meeting, rnd, _codes = opened(world, expected=(40, 40))
    order = [c.category for c in VoteCode.objects.filter(round=rnd).order_by("pk")]
    # Sorted by category would be 44 leaders then 44 members; shuffled, the runs are short.
    assert order != sorted(order) and order != sorted(order, reverse=True)


def test_issue_codes_margin_argument(world):
    meeting = make_meeting(world, expected=(5, 5))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    assert len(services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)) == 10
    with pytest.raises(ValidationError):
        services.issue_codes(actor=world.alice, ballot_round=rnd, margin=-1)


def test_issue_codes_refuses_closed_round_and_outsiders(world):
    _meeting, rnd, _codes = opened(world)
    with pytest.raises(PermissionDenied):
        services.issue_codes(actor=world.bob, ballot_round=rnd)
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    with pytest.raises(ValidationError):
        services.issue_codes(actor=world.alice, ballot_round=rnd)


# --- submit ---------------------------------------------------------------------------------


@pytest.mark.smoke
def test_submit_stores_rows_and_marks_code_used(world):
    meeting, rnd, codes = opened(world, reporters=3)
    code = codes[0]
    receipt = services.submit_ballot(
        code=code.code.lower(),
        nonce="n1",
        ratings=full_ballot(rnd, "good"),
        comments={str(meeting.reporters[1].pk): "  加强调研  "},
    )
    assert len(receipt) == 6 and set(receipt) <= set(services.ALPHABET)
    code.refresh_from_db()
    assert code.used and code.receipt == receipt and code.nonce == "n1"
    # While the round is open only the sealed box is stored: nothing readable of the vote.
    assert not Ballot.objects.exists() and not BallotComment.objects.exists()
    box = bytes(SealedBallot.objects.get(round=rnd).box)
    assert b"good" not in box and "加强调研".encode() not in box
    count(world, rnd)
    assert not SealedBallot.objects.exists()
    entries = list(BallotEntry.objects.filter(round=rnd))
    assert len(entries) == 3 and {e.grade for e in entries} == {"good"}
    assert {e.category for e in entries} == {code.category}
    assert len({e.ballot for e in entries}) == 1
    assert list(BallotComment.objects.values_list("text", flat=True)) == ["加强调研"]


def test_submit_stores_sub_items(world):
    meeting = make_meeting(
        world,
        sub_items=[{"code": "duty", "label": "履行责任"}, {"code": "build", "label": "组织建设"}],
    )
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    code = services.issue_codes(actor=world.alice, ballot_round=rnd)[0]
    ratings = full_ballot(rnd)
    first = str(meeting.reporters[0].pk)
    ratings[first]["items"] = {"duty": "average", "build": ""}
    services.submit_ballot(code=code.code, nonce="x", ratings=ratings)
    count(world, rnd)
    assert BallotEntry.objects.filter(item="duty", grade="average").count() == 1
    assert BallotEntry.objects.count() == 4  # 3 overall + 1 sub-item; blank sub-item skipped


def test_submit_query_count(world):
    _meeting, rnd, codes = opened(world, reporters=40)
    ratings = full_ballot(rnd)
    with CaptureQueriesContext(connection) as queries:
        services.submit_ballot(code=codes[0].code, nonce="q", ratings=ratings)
    # The claim and the sealed ballot's INSERT go through the DB-API cursor (never logged), so
    # no statement shows here: no code and no box.
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE"))
    ]
    assert statements == []
    assert codes[0].code not in str(queries.captured_queries)
    assert SealedBallot.objects.count() == 1 and not Ballot.objects.exists()
    count(world, rnd)
    assert BallotEntry.objects.count() == 40


@contextmanager
def db_api_statements():
    """Every statement sent through psycopg cursors (Django's own and the raw ones)."""
    import psycopg

    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counting(self, query, params=None, **kwargs):
        # Savepoints stand in for the transaction the test itself runs in.
        if not str(query).startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            sent.append(str(query))
        return execute(self, query, params, **kwargs)

    psycopg.Cursor.execute = counting  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_ballot_after_the_first_is_one_statement_on_postgresql(world):
    _meeting, rnd, codes = opened(world, reporters=40)
    with db_api_statements() as first:
        vote(rnd, codes[0])
    assert len(first) == 2  # the claim returning the round's snapshot, then the insert
    with db_api_statements() as second:
        vote(rnd, codes[1])
    assert second[-1].startswith("EXECUTE ballots_seal")  # prepared, if new, before it
    with db_api_statements() as sent:
        receipts = [vote(rnd, code) for code in codes[2:5]]
    assert len(sent) == 3 and all(s.startswith("EXECUTE ballots_seal (") for s in sent)
    assert SealedBallot.objects.filter(round=rnd).count() == 5
    stored = dict(VoteCode.objects.filter(used=True).values_list("code", "receipt"))
    assert [stored[c.code] for c in codes[2:5]] == receipts
    assert [len(c["r"]) for c in sealed_contents(rnd, shares_of(rnd))] == [40] * 5
    # A used code, a ballot with comments and an invalid one take the general path.
    with pytest.raises(services.VoteRefused):
        vote(rnd, codes[1], nonce="other")
    with pytest.raises(ValidationError):
        services.submit_ballot(code=codes[5].code, nonce="z", ratings={})
    assert not VoteCode.objects.get(pk=codes[5].pk).used
    vote(rnd, codes[6], comments={str(_meeting.reporters[0].pk): "意见"})
    assert SealedBallot.objects.filter(round=rnd).count() == 6
    # Every box of the round has the same size, with comments or without.
    assert len({len(bytes(b)) for b in SealedBallot.objects.values_list("box", flat=True)}) == 1
    count(world, rnd)
    assert BallotEntry.objects.filter(round=rnd).count() == 6 * 40
    assert list(BallotComment.objects.values_list("text", flat=True)) == ["意见"]


def test_retry_with_same_nonce_returns_same_receipt_and_stores_nothing(world):
    _meeting, rnd, codes = opened(world)
    first = vote(rnd, codes[0], nonce="same")
    second = services.submit_ballot(
        code=codes[0].code, nonce="same", ratings=full_ballot(rnd, "poor")
    )
    assert first == second
    count(world, rnd)
    assert BallotEntry.objects.count() == 3
    assert not BallotEntry.objects.filter(grade="poor").exists()


def test_used_code_with_other_nonce_is_refused(world):
    _meeting, rnd, codes = opened(world)
    vote(rnd, codes[0], nonce="a")
    with pytest.raises(services.VoteRefused) as exc:
        vote(rnd, codes[0], nonce="b")
    assert exc.value.reason == "used" and exc.value.message == "该投票码已使用。"
    count(world, rnd)
    assert BallotEntry.objects.count() == 3


def test_unknown_code_is_refused(world):
    _meeting, rnd, _codes = opened(world)
    with pytest.raises(services.VoteRefused) as exc:
        services.submit_ballot(code="ZZZZZZZZ", nonce="a", ratings=full_ballot(rnd))
    assert exc.value.reason == "unknown"
    assert not BallotEntry.objects.exists()


def test_code_of_another_session_is_refused(world):
    meeting, rnd, codes = opened(world)
    other = make_meeting(world, year=2027)
    with pytest.raises(services.VoteRefused) as exc:
        vote(rnd, codes[0], session_id=other.session.pk)
    assert exc.value.reason == "foreign"
    assert not VoteCode.objects.get(pk=codes[0].pk).used
    assert vote(rnd, codes[0], session_id=meeting.session.pk)


def test_closed_round_refuses_votes(world):
    _meeting, rnd, codes = opened(world)
    services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    with pytest.raises(services.VoteRefused) as exc:
        vote(rnd, codes[0])
    assert exc.value.reason == "closed" and exc.value.message == "本轮投票已结束。"
    assert not VoteCode.objects.get(pk=codes[0].pk).used


@pytest.mark.parametrize(
    "ratings",
    [
        "not a dict",
        [],
        None,
    ],
)
def test_malformed_ratings_store_nothing(world, ratings):
    _meeting, _rnd, codes = opened(world)
    with pytest.raises(ValidationError) as exc:
        services.submit_ballot(code=codes[0].code, nonce="a", ratings=ratings)
    assert "ratings" in exc.value.message_dict
    assert not VoteCode.objects.get(pk=codes[0].pk).used
    assert not BallotEntry.objects.exists()


def test_wrong_scale_value_and_missing_rows(world):
    meeting, _rnd, codes = opened(world, reporters=3)
    a, b, c = (str(r.pk) for r in meeting.reporters)
    ratings = {a: {"overall": "excellent"}, b: {"overall": "good"}}
    with pytest.raises(ValidationError) as exc:
        services.submit_ballot(code=codes[0].code, nonce="a", ratings=ratings)
    errors = exc.value.message_dict
    assert errors[a] == ["总体评价的等次无效。"]
    assert errors[c] == ["请选择总体评价。"]
    assert b not in errors
    assert "excellent" not in str(errors)
    assert not VoteCode.objects.get(pk=codes[0].pk).used
    assert not BallotEntry.objects.exists()


def test_unknown_reporter_and_bad_sub_item(world):
    meeting, rnd, codes = opened(world, reporters=2)
    ratings = full_ballot(rnd)
    ratings["999999"] = {"overall": "good"}
    ratings[str(meeting.reporters[0].pk)]["items"] = {"nope": "good"}
    with pytest.raises(ValidationError) as exc:
        services.submit_ballot(code=codes[0].code, nonce="a", ratings=ratings)
    assert "ratings" in exc.value.message_dict
    assert exc.value.message_dict[str(meeting.reporters[0].pk)] == ["分项评价中有未设置的项目。"]


def test_over_quota_is_refused(world):
    meeting = make_meeting(world, reporters=4, quotas={"good": 2})
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    code = services.issue_codes(actor=world.alice, ballot_round=rnd)[0]
    with pytest.raises(ValidationError) as exc:
        services.submit_ballot(code=code.code, nonce="a", ratings=full_ballot(rnd, "good"))
    assert exc.value.message_dict["quotas"] == ["“好”最多只能选 2 个，您选了 4 个。"]
    assert not BallotEntry.objects.exists()
    ratings = full_ballot(rnd, "fair_good")
    ratings[str(meeting.reporters[0].pk)] = {"overall": "good"}
    assert services.submit_ballot(code=code.code, nonce="b", ratings=ratings)


def test_comment_over_500_characters_is_refused(world):
    meeting, rnd, codes = opened(world)
    key = str(meeting.reporters[0].pk)
    with pytest.raises(ValidationError) as exc:
        services.submit_ballot(
            code=codes[0].code, nonce="a", ratings=full_ballot(rnd), comments={key: "很" * 501}
        )
    assert exc.value.message_dict[key] == ["意见建议不能超过 500 个字（现有 501 个）。"]
    assert not BallotEntry.objects.exists() and not BallotComment.objects.exists()


def test_abstention_only_when_policy_allows(world):
    meeting, rnd, codes = opened(world)
    ratings = full_ballot(rnd)
    ratings[str(meeting.reporters[0].pk)] = {"overall": ""}
    with pytest.raises(ValidationError):
        services.submit_ballot(code=codes[0].code, nonce="a", ratings=ratings)
    BallotRound.objects.filter(pk=rnd.pk).update(policy={**rnd.policy, "allow_abstain": True})
    services.submit_ballot(code=codes[0].code, nonce="a", ratings=ratings)
    count(world, rnd)
    assert BallotEntry.objects.filter(grade="").count() == 1


def test_overlong_nonce_is_refused(world):
    _meeting, rnd, codes = opened(world)
    with pytest.raises(ValidationError):
        services.submit_ballot(code=codes[0].code, nonce="x" * 65, ratings=full_ballot(rnd))


# --- close, publish, re-vote, test mode, void ------------------------------------------------


@pytest.mark.smoke
def test_close_and_publish(world):
    _meeting, rnd, codes = opened(world)
    r1, r2 = vote(rnd, codes[0]), vote(rnd, codes[1])
    with pytest.raises(ValidationError):
        services.counted_receipts(rnd)
    with pytest.raises(ValidationError):
        services.publish_round(actor=world.alice, ballot_round=rnd)
    closed = services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    assert closed.status == BallotRoundStatus.CLOSED and closed.closed_at
    assert services.counted_receipts(closed) == sorted([r1, r2])
    assert BallotEntry.objects.filter(round=rnd).count() == 6
    with pytest.raises(ValidationError):
        services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    published = services.publish_round(actor=world.alice, ballot_round=rnd)
    assert published.status == BallotRoundStatus.PUBLISHED
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [
        "session.status",
        "round.status",  # the first session to start makes the round 进行中
        "ballot.round_open",
        "ballot.codes_issue",
        "ballot.round_close",
        "ballot.round_unseal",
        "ballot.round_publish",
    ]


def test_close_needs_permission(world):
    _meeting, rnd, _codes = opened(world)
    with pytest.raises(PermissionDenied):
        services.close_round(actor=world.bob, ballot_round=rnd, shares=shares_of(rnd))
    with pytest.raises(PermissionDenied):
        services.publish_round(actor=world.erin, ballot_round=rnd)


def test_revote_keeps_both_rounds(world):
    meeting, first, codes = opened(world)
    vote(first, codes[0], "good")
    services.close_round(actor=world.alice, ballot_round=first, shares=shares_of(first))
    second = services.open_round(actor=world.alice, session=meeting.session)
    code = services.issue_codes(actor=world.alice, ballot_round=second)[0]
    vote(second, code, "poor")
    count(world, second)
    assert second.number == 2
    assert set(BallotEntry.objects.filter(round=first).values_list("grade", flat=True)) == {"good"}
    assert set(BallotEntry.objects.filter(round=second).values_list("grade", flat=True)) == {"poor"}
    with pytest.raises(services.VoteRefused):
        vote(first, codes[1])


def test_formal_round_wipes_test_round_data(world):
    meeting = make_meeting(world)
    test = services.open_round(actor=world.alice, session=meeting.session, is_test=True)
    codes = services.issue_codes(actor=world.alice, ballot_round=test)
    services.submit_ballot(
        code=codes[0].code,
        nonce="t",
        ratings=full_ballot(test),
        comments={str(meeting.reporters[0].pk): "测试意见"},
    )
    PaperEntry.objects.create(round=test, sheet=1, clerk=1, category="leaders", ratings={})
    # Closed but never counted: the sealed ballot goes with the rest.
    services.close_round(actor=world.alice, ballot_round=test)
    formal = services.open_round(actor=world.alice, session=meeting.session)
    assert formal.number == 2 and not formal.is_test
    for model in (VoteCode, Ballot, BallotComment, SealedBallot, PaperEntry):
        assert not model.objects.filter(round=test).exists()
    assert BallotRound.objects.filter(pk=test.pk).exists()
    wipe = AuditEntry.objects.get(action="ballot.test_wipe")
    assert wipe.changes == {
        "codes": [len(codes), 0],
        "ballots": [0, 0],
        "comments": [0, 0],
        "sealed_ballots": [1, 0],
        "paper_entries": [1, 0],
    }
    assert "测试意见" not in str(wipe.changes) + wipe.note
    services.close_round(actor=world.alice, ballot_round=formal, shares=shares_of(formal))
    with pytest.raises(ValidationError, match="不能再开测试轮"):
        services.open_round(actor=world.alice, session=meeting.session, is_test=True)


def test_more_ballots_than_issued_voids_the_round(world):
    meeting = make_meeting(world, expected=(1, 1))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)
    for code in codes:
        vote(rnd, code)
    # A paper ballot typed in with no paper ballots issued: one ballot more than issued.
    Ballot.from_rows(
        round_id=rnd.pk, category="leaders", rows=[(meeting.reporters[0].pk, "overall", "good")]
    ).save()
    closed = services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))
    assert closed.status == BallotRoundStatus.VOID
    assert closed.void_reason == "收回票数多于发出票数，本轮无效"
    with pytest.raises(ValidationError):
        services.publish_round(actor=world.alice, ballot_round=rnd)


def test_paper_issued_counts_towards_issued(world):
    meeting = make_meeting(world, expected=(1, 1))
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    BallotRound.objects.filter(pk=rnd.pk).update(paper_issued=1)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd, margin=0)
    vote(rnd, codes[0])
    Ballot.from_rows(
        round_id=rnd.pk, category="leaders", rows=[(meeting.reporters[0].pk, "overall", "")]
    ).save()
    assert (
        services.close_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd)).status
        == "closed"
    )
