"""Sealed ballots: k-of-n shares, counting, rounds never counted, and logs without codes."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError

from shuzhi.accounts.models import Role
from shuzhi.ballots import sealing, services, tally
from shuzhi.ballots.models import Ballot, BallotRound, SealedBallot
from shuzhi.ballots.tests.meeting_setup import full_ballot, make_meeting, shares_of
from shuzhi.core.logfilters import redact
from shuzhi.core.testing import make_user

# --- the cryptography ------------------------------------------------------------------------


@pytest.mark.smoke
@pytest.mark.parametrize(("n", "k"), [(1, 1), (3, 2), (5, 3)])
def test_any_k_shares_rebuild_the_key_and_fewer_do_not(n, k):
    keys = sealing.generate(n=n, k=k)
    box = sealing.seal(keys.public_key, b'{"r":{}}', sealing.sealed_size(100))
    parsed = [sealing.parse_share(s.text) for s in keys.shares]
    for start in range(n - k + 1):
        chosen = parsed[start : start + k][::-1]
        key = sealing.combine(chosen, public_key=keys.public_key, k=k)
        assert sealing.unseal(sealing.opener(key), box) == b'{"r":{}}'
    with pytest.raises(sealing.ShareError, match="需要至少"):
        sealing.combine(parsed[: k - 1], public_key=keys.public_key, k=k)


def test_shares_of_another_round_mistyped_or_repeated_are_refused():
    keys = sealing.generate(n=3, k=2)
    other = sealing.generate(n=3, k=2)
    first, second = (sealing.parse_share(s.text) for s in keys.shares[:2])
    with pytest.raises(sealing.ShareError, match="不属于本轮"):
        sealing.combine(
            [first, sealing.parse_share(other.shares[1].text)], public_key=keys.public_key, k=2
        )
    with pytest.raises(sealing.ShareError, match="重复"):
        sealing.combine([first, first], public_key=keys.public_key, k=2)
    text = keys.shares[0].text
    typo = text[:5] + ("A" if text[5] != "A" else "B") + text[6:]
    with pytest.raises(sealing.ShareError, match="校验不通过"):
        sealing.parse_share(typo)
    # Case, spaces, dashes and 0/1/8 typed for O/I/B do not matter.
    relaxed = text.lower().replace(" ", "-").replace("o", "0").replace("i", "1")
    assert sealing.parse_share(relaxed) == first
    assert sealing.combine([second, first], public_key=keys.public_key, k=2)


def test_every_box_of_a_round_has_one_size():
    keys = sealing.generate(n=1, k=1)
    size = sealing.sealed_size(5000)
    lengths = {
        len(sealing.seal(keys.public_key, b"x" * length, size)) for length in (0, 10, 4000, 5000)
    }
    assert lengths == {size + sealing.BOX_OVERHEAD}


# --- counting -----------------------------------------------------------------------------


def _round(world, **kwargs):
    meeting = make_meeting(world, reporters=3)
    rnd = services.open_round(actor=world.alice, session=meeting.session, **kwargs)
    codes = services.issue_codes(actor=world.alice, ballot_round=rnd)
    return meeting, rnd, codes


def _vote(rnd, codes, n: int = 3) -> None:
    for i, code in enumerate(codes[:n]):
        services.submit_ballot(
            code=code.code, nonce=f"n{i}", ratings=full_ballot(rnd, ("good", "poor")[i % 2])
        )


@pytest.mark.django_db
def test_closed_round_waits_sealed_until_k_supervisors_count(world):
    _meeting, rnd, codes = _round(world, supervisors=["甲", "乙", "丙"], threshold=2)
    shares = shares_of(rnd)
    _vote(rnd, codes)
    closed = services.close_round(actor=world.alice, ballot_round=rnd)
    assert closed.status == "closed" and closed.sealed
    assert SealedBallot.objects.filter(round=rnd).count() == 3
    # Still sealed: nobody sees results, not even the organiser.
    assert not tally.results_visible(closed, world.alice)
    assert "尚未开箱计票" in tally.results_refusal(closed, world.alice)
    with pytest.raises(ValidationError, match="尚未开箱"):
        services.publish_round(actor=world.alice, ballot_round=closed)
    with pytest.raises(ValidationError, match="需要至少 2 名"):
        services.unseal_round(actor=world.alice, ballot_round=closed, shares=[shares[0]])
    assert BallotRound.objects.get(pk=rnd.pk).sealed
    counted = services.unseal_round(
        actor=world.alice, ballot_round=closed, shares=[shares[1], shares[2]]
    )
    assert not counted.sealed and Ballot.objects.filter(round=rnd).count() == 3
    assert not SealedBallot.objects.exists()
    result = tally.compute(counted)
    # Counted: the organiser checks the results; the hall waits for 公布结果.
    assert result.ballots == 3 and tally.results_visible(counted, world.alice)
    assert not tally.results_visible(counted)
    with pytest.raises(ValidationError, match="已开箱"):
        services.unseal_round(actor=world.alice, ballot_round=counted, shares=shares)
    assert services.publish_round(actor=world.alice, ballot_round=counted).status == "published"


@pytest.mark.django_db
def test_wrong_shares_close_nothing(world):
    _meeting, rnd, codes = _round(world, supervisors=["甲", "乙"], threshold=2)
    _vote(rnd, codes, 1)
    other = sealing.generate(n=2, k=2).shares
    with pytest.raises(ValidationError, match="不属于本轮"):
        services.close_round(actor=world.alice, ballot_round=rnd, shares=[s.text for s in other])
    assert BallotRound.objects.get(pk=rnd.pk).status == "open"
    with pytest.raises(ValidationError, match="请先结束投票"):
        services.unseal_round(actor=world.alice, ballot_round=rnd, shares=shares_of(rnd))


@pytest.mark.django_db
def test_a_round_never_counted_is_run_again_as_a_new_round(world):
    meeting, first, codes = _round(world, supervisors=["甲", "乙", "丙"], threshold=3)
    _vote(first, codes)
    # One supervisor is missing: the round closes with its ballots sealed for good …
    services.close_round(actor=world.alice, ballot_round=first)
    second = services.open_round(actor=world.alice, session=meeting.session)
    new_codes = services.issue_codes(actor=world.alice, ballot_round=second)
    _vote(second, new_codes, 2)
    services.close_round(actor=world.alice, ballot_round=second, shares=shares_of(second))
    # … and the re-run counts on its own.
    assert BallotRound.objects.get(pk=first.pk).sealed
    assert Ballot.objects.filter(round=second).count() == 2
    assert not Ballot.objects.filter(round=first).exists()


@pytest.mark.django_db
def test_supervisors_and_comments_are_checked(world):
    meeting = make_meeting(world)
    for supervisors, threshold, message in [
        (["甲", "甲"], 1, "不能重复"),
        (["甲", "乙"], 3, "须在 1 到 2 之间"),
        ([], None, "至少指定一名"),
        ([f"监票人{i}" for i in range(10)], 2, "最多 9 名"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.open_round(
                actor=world.alice,
                session=meeting.session,
                supervisors=supervisors,
                threshold=threshold,
            )
    assert not BallotRound.objects.exists()
    rnd = services.open_round(actor=world.alice, session=meeting.session)
    assert rnd.seal_threshold == 1 and [s.name for s in rnd.shares] == ["监票人"]  # type: ignore[attr-defined]
    code = services.issue_codes(actor=world.alice, ballot_round=rnd)[0]
    comments = {str(r.pk): "意" * 400 for r in meeting.reporters}
    with pytest.raises(ValidationError, match="合计不能超过 1000 个字"):
        services.submit_ballot(
            code=code.code, nonce="n", ratings=full_ballot(rnd), comments=comments
        )
    assert not SealedBallot.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["bob", "carol", "dave", "erin"])
def test_counting_outside_scope_is_404(client, world, persona):
    _meeting, rnd, _codes = _round(world)
    services.close_round(actor=world.alice, ballot_round=rnd)
    client.force_login(getattr(world, persona))
    assert (
        client.post(f"/ballots/round/{rnd.pk}/unseal/", {"share": shares_of(rnd)}).status_code
        == 404
    )
    assert BallotRound.objects.get(pk=rnd.pk).sealed


@pytest.mark.django_db
def test_counting_in_sight_without_ballot_rights_is_refused(client, world):
    _meeting, rnd, _codes = _round(world)
    services.close_round(actor=world.alice, ballot_round=rnd)
    client.force_login(make_user("watcher", (Role.VIEWER, world.province)))
    response = client.post(f"/ballots/round/{rnd.pk}/unseal/", {"share": shares_of(rnd)})
    assert response.status_code == 403
    assert BallotRound.objects.get(pk=rnd.pk).sealed


# --- logs -----------------------------------------------------------------------------------


@pytest.mark.smoke
@pytest.mark.django_db
def test_refused_codes_reach_no_log(client, world, caplog):
    _meeting, rnd, codes = _round(world)
    _vote(rnd, codes, 1)
    caplog.set_level(logging.DEBUG)
    assert client.get("/v/ZZZZ2345/").status_code == 404
    assert client.post("/api/vote/ZZZZ2345", {}, content_type="application/json").status_code == 404
    used = client.post(
        f"/api/vote/{codes[0].code}", {"nonce": "x", "ratings": {}}, content_type="application/json"
    )
    assert used.status_code == 409
    assert "Not Found: /v/…/" in caplog.text and "Conflict: /api/vote/…" in caplog.text
    assert "ZZZZ2345" not in caplog.text and codes[0].code not in caplog.text


def test_redact_masks_codes_in_paths_and_queries():
    line = '"GET /v/ABCD2345/ HTTP/1.1" 200; "POST /api/vote/ABCD2345 HTTP/1.1"; /v/?code=abcd-2345'
    assert "ABCD2345" not in redact(line) and "abcd-2345" not in redact(line)
    assert redact("/ballots/round/3/close/") == "/ballots/round/3/close/"
