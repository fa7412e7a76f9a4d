"""Closing a round, counting its sealed ballots, publishing its results.

:func:`close_round` ends the vote. :func:`unseal_round` is the count (开箱计票): ``k`` vote
supervisors present their shares, the round's private key is rebuilt in memory and checked
against the public key, and every sealed ballot of the round is opened — in random order — into
new :class:`~shuzhi.ballots.models.Ballot` and :class:`~shuzhi.ballots.models.BallotComment`
rows with new random keys, in a transaction of its own, long after any code's claim committed;
the sealed rows are deleted and the key dropped. On PostgreSQL the ballot and code tables are
vacuumed once that commits, so no old row version is left to read. Results exist only after the
count. See docs/decisions/0004-ballot-anonymity.md.

Every function here is a service: keyword-only, an explicit actor, ``ballot.manage`` on the
host unit, atomic, audited with counts only.
"""

from __future__ import annotations

import json
import logging
import uuid
from random import SystemRandom
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from shuzhi.core import audit, transitions
from shuzhi.core.transitions import Transition

from . import order, policies, sealing
from .models import Ballot, BallotRound, BallotRoundStatus, SealedBallot, VoteCode
from .transitions import BALLOT_ROUND

VOID_REASON = "收回票数多于发出票数，本轮无效"
# Tables whose old row versions could tie a code's claim to a ballot, vacuumed after the count.
VACUUMED = ("ballots_votecode", "ballots_sealedballot", "ballots_ballot", "ballots_ballotcomment")
BATCH = 500

logger = logging.getLogger(__name__)
_random = SystemRandom()


def _require(actor, ballot_round: BallotRound) -> None:
    if not policies.can_manage(actor, ballot_round):
        raise PermissionDenied("您没有权限管理该会议的投票。")


def _locked(ballot_round: BallotRound) -> BallotRound:
    return (
        BallotRound.objects.select_related("session__round__host")
        .select_for_update(of=("self",))
        .get(pk=ballot_round.pk)
    )


def ballots_cast(ballot_round: BallotRound) -> int:
    """Ballots stored for a round: sealed phone ballots, opened ones and counted paper ones."""
    return (
        SealedBallot.objects.filter(round=ballot_round).count()
        + Ballot.objects.filter(round=ballot_round).count()
    )


def _vacuum_after_commit() -> None:
    """On PostgreSQL, once the transaction commits, VACUUM the ballot and code tables: the old
    versions of code rows (their claims) and the deleted sealed rows go, instead of waiting for
    autovacuum, which a meeting-sized table never wakes. VACUUM cannot run in a transaction."""
    if connection.vendor != "postgresql":
        return

    def run() -> None:
        if connection.in_atomic_block:
            return  # still inside an outer transaction (tests): nothing to vacuum yet
        try:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM " + ", ".join(VACUUMED))
        except DatabaseError:
            logger.warning("Vacuuming the ballot tables failed; run VACUUM by hand.", exc_info=True)

    transaction.on_commit(run)


def rebuild_key(ballot_round: BallotRound, shares: Any) -> Any:
    """The round's private key from the supervisors' typed shares, or a ``ValidationError``
    saying which share is wrong (never what any share holds)."""
    if not isinstance(shares, list | tuple) or not all(isinstance(s, str) for s in shares):
        raise ValidationError({"shares": "份额格式不正确。"})
    typed = [s for s in shares if s.strip()]
    public = bytes.fromhex(str((ballot_round.policy or {}).get("seal_key") or ""))
    if not public:
        raise ValidationError({"shares": "本轮投票没有加密密钥。"})
    parsed = []
    for position, text in enumerate(typed, start=1):
        try:
            parsed.append(sealing.parse_share(text))
        except sealing.ShareError as wrong:
            raise ValidationError({"shares": f"第 {position} 份：{wrong.message}"}) from None
    try:
        return sealing.combine(parsed, public_key=public, k=ballot_round.seal_threshold)
    except sealing.ShareError as wrong:
        raise ValidationError({"shares": wrong.message}) from None


def close_round(
    *, actor, ballot_round: BallotRound, shares: Any = None, reason: Any = ""
) -> BallotRound:
    """Close an open round: no more ballots; void if more ballots came back than were issued.

    A formal round with fewer ballots than the round's share of those present closes only with
    a ``reason``, which the audit entry records (:mod:`shuzhi.ballots.order`).

    With ``shares`` (the supervisors' shares, at least the round's threshold) the ballots are
    counted at once (:func:`unseal_round`, in a transaction of its own after the close
    commits); the shares are checked before anything closes. Without, the round closes with
    its ballots sealed, to be counted later — or never, if its supervisors cannot assemble: the
    vote is then run again as a new round.

    On PostgreSQL the code table is locked in SHARE mode first, which waits for ballots in
    flight and holds new ones until the close commits. Every code row of the round is
    rewritten in the close's transaction, so their transaction ids no longer tell in which
    order codes were used, and the old versions are vacuumed after commit.
    """
    if shares is not None:
        _require(actor, ballot_round)
        rebuild_key(ballot_round, shares)
    # Counting at once vacuums after the count; one VACUUM then covers both.
    closed = _close(actor=actor, ballot_round=ballot_round, vacuum=shares is None, reason=reason)
    if shares is not None and closed.sealed:
        closed = unseal_round(actor=actor, ballot_round=closed, shares=shares)
    return closed


@transaction.atomic
def _close(*, actor, ballot_round: BallotRound, vacuum: bool, reason: Any = "") -> BallotRound:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE ballots_votecode IN SHARE MODE")
    ballot_round = _locked(ballot_round)
    _require(actor, ballot_round)
    transitions.check(BALLOT_ROUND, actor=actor, obj=ballot_round, to=BallotRoundStatus.CLOSED)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ballots_votecode SET nonce = nonce WHERE round_id = %s", [ballot_round.pk]
        )
    cast = ballots_cast(ballot_round)
    low_turnout = order.check_closing(ballot_round, cast, reason=reason)
    issued = VoteCode.objects.filter(round=ballot_round).count() + ballot_round.paper_issued
    void = cast > issued
    notes = [VOID_REASON] if void else []
    changes: dict[str, list[Any]] = {"ballots": [None, cast]}
    if low_turnout:
        notes.append(f"投票率低于要求仍结束投票，理由：{low_turnout}")
        changes["turnout_reason"] = [None, low_turnout]

    def prepare(ballot_round: BallotRound, move: Transition) -> None:
        ballot_round.closed_at = timezone.now()
        if void:
            ballot_round.void_reason = VOID_REASON

    if vacuum:
        _vacuum_after_commit()
    return transitions.apply(
        BALLOT_ROUND,
        actor=actor,
        obj=ballot_round,
        to=BallotRoundStatus.VOID if void else BallotRoundStatus.CLOSED,
        prepare=prepare,
        update_fields=["closed_at", "void_reason"],
        changes=changes,
        note="；".join(notes),
        locked=True,
    )


_INSERT_BALLOTS = {
    "postgresql": "INSERT INTO ballots_ballot (id, round_id, category, ratings, items) VALUES ",
    "sqlite": "INSERT INTO ballots_ballot (id, round_id, category, ratings, items) VALUES ",
}
_BALLOT_ROW = {"postgresql": "(%s,%s,%s,%s::jsonb,%s::jsonb)", "sqlite": "(%s,%s,%s,%s,%s)"}
_INSERT_COMMENTS = "INSERT INTO ballots_ballotcomment (id, round_id, reporter_id, text) VALUES "


def _insert(raw, statement: str, row: str, rows: list[list[Any]]) -> None:
    """Multi-row inserts through the DB-API cursor: the opened contents never pass Django's
    cursor wrapper, so no debug log ever holds a grade or a comment."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        raw.execute(statement + ",".join([row] * len(batch)), [v for r in batch for v in r])


def _key(vendor: str) -> Any:
    key = uuid.uuid4()
    return key if vendor == "postgresql" else key.hex


def unseal_round(*, actor, ballot_round: BallotRound, shares: Any) -> BallotRound:
    """开箱计票: open every sealed ballot of a closed round with the supervisors' shares.

    The key is rebuilt from the shares (at least the round's threshold; any of the
    supervisors) and checked against the round's public key. In one transaction the boxes are
    read, opened in random order and written as new ballot and comment rows — new random keys,
    inserted in an order of their own — and the sealed rows deleted. The key lives only in this
    call. The audit entry records the count and how many shares were presented.
    """
    _require(actor, ballot_round)
    if ballot_round.status == BallotRoundStatus.OPEN:
        raise ValidationError({"round": "请先结束投票，再开箱计票。"})
    if not ballot_round.sealed:
        raise ValidationError({"round": "本轮选票已开箱计票。"})
    private_key = rebuild_key(ballot_round, shares)
    opener = sealing.opener(private_key)
    vendor = connection.vendor
    with transaction.atomic():
        locked = _locked(ballot_round)
        if not locked.sealed:
            raise ValidationError({"round": "本轮选票已开箱计票。"})
        boxes = list(SealedBallot.objects.filter(round=locked).values_list("category", "box"))
        _random.shuffle(boxes)
        ballots: list[list[Any]] = []
        comments: list[list[Any]] = []
        for category, box in boxes:
            content = json.loads(sealing.unseal(opener, box))
            ballots.append(
                [
                    _key(vendor),
                    locked.pk,
                    category,
                    json.dumps(content.get("r", {}), ensure_ascii=False),
                    json.dumps(content.get("i", {}), ensure_ascii=False),
                ]
            )
            for reporter, text in (content.get("c") or {}).items():
                comments.append([_key(vendor), locked.pk, int(reporter), text])
        _random.shuffle(ballots)
        _random.shuffle(comments)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            _insert(raw, _INSERT_BALLOTS[vendor], _BALLOT_ROW[vendor], ballots)
            _insert(raw, _INSERT_COMMENTS, "(%s,%s,%s,%s)", comments)
        SealedBallot.objects.filter(round=locked).delete()
        locked.sealed = False
        locked.save(update_fields=["sealed"])
        audit.record(
            actor=actor,
            action="ballot.round_unseal",
            obj=locked,
            scope_path=locked.session.round.host.path,
            changes={"ballots": [None, len(ballots)], "shares": [None, len(shares)]},
            note=f"监票人开箱计票，共 {len(ballots)} 张电子选票。",
        )
        _vacuum_after_commit()
    del private_key, opener
    return locked


@transaction.atomic
def publish_round(*, actor, ballot_round: BallotRound) -> BallotRound:
    """Publish a closed and counted round's results. A void round cannot be published."""
    ballot_round = _locked(ballot_round)
    _require(actor, ballot_round)
    if ballot_round.sealed and ballot_round.status == BallotRoundStatus.CLOSED:
        raise ValidationError({"round": "选票尚未开箱计票，不能公布结果。"})
    return transitions.apply(
        BALLOT_ROUND, actor=actor, obj=ballot_round, to=BallotRoundStatus.PUBLISHED, locked=True
    )


def counted_receipts(ballot_round: BallotRound) -> list[str]:
    """Receipts of the codes used in a round, sorted — only once the round is no longer open."""
    if ballot_round.status == BallotRoundStatus.OPEN:
        raise ValidationError({"round": "投票结束后才公布已计入的回执码。"})
    return sorted(
        VoteCode.objects.filter(round=ballot_round, used=True).values_list("receipt", flat=True)
    )
