"""Every change to ballot rounds and codes goes through these functions — and the vote itself.

Organiser services (:func:`open_round`, :func:`issue_codes`, :func:`close_round`,
:func:`publish_round`) take keyword-only arguments and the acting user, check ``ballot.manage``
on the host unit, run in one transaction and record the ACT in the audit trail — counts and
statuses, never what anyone voted.

:func:`submit_ballot` is the voter's hot path: no actor, no audit, no log line. It marks the
code used and reads the round's snapshot in one ``UPDATE … RETURNING``, validates the ratings
in Python, seals them (with the comments) to the round's public key and inserts the sealed box
in one statement, all in one transaction — so a refused ballot leaves the code unused and
stores nothing, and nothing readable of what was voted ever shares a transaction with a code.
Counting opens the boxes (:mod:`shuzhi.ballots.counting`). See
docs/decisions/0004-ballot-anonymity.md for why the two sides of the ballot never meet.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import uuid
import weakref
from dataclasses import dataclass
from decimal import Decimal
from random import SystemRandom
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from shuzhi.core import audit
from shuzhi.meetings import services as meeting_services
from shuzhi.meetings.models import RosterCategory, Session, SessionReporter, SessionStatus
from shuzhi.meetings.selectors import quorum_status

from . import counting, order, policies, sealing
from .models import (
    Ballot,
    BallotComment,
    BallotRound,
    BallotRoundStatus,
    PaperEntry,
    SealedBallot,
    VoteCode,
    VoteSupervisor,
    split_rows,
)

# No look-alikes (0/O, 1/I/L): codes and receipts are read off paper and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
RECEIPT_LENGTH = 6
COMMENT_MAX_LENGTH = 500
# All comments of one ballot together: every sealed ballot of a round is padded to hold this
# much, so the size of a box says nothing about whether its voter wrote anything.
COMMENT_TOTAL_MAX = 1000
NONCE_MAX_LENGTH = 64
VOID_REASON = counting.VOID_REASON

_random = SystemRandom()


class VoteRefused(Exception):
    """A submission refused because of its code or round, not its contents.

    ``reason`` is ``unknown``, ``foreign`` (a code of another session), ``used`` or ``closed``;
    ``message`` is the Chinese text shown to the voter.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def random_code(length: int = CODE_LENGTH) -> str:
    """A random string from :data:`ALPHABET`, drawn with :mod:`secrets`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    """Accept what people type: lower case, spaces and dashes."""
    return "".join(ch for ch in str(code or "").upper() if ch not in " -\t")


def _host(session: Session):
    return session.round.host


def _require(actor, session: Session) -> None:
    if not policies.can_manage_session(actor, session):
        raise PermissionDenied("您没有权限管理该会议的投票。")


# --- Opening a round -----------------------------------------------------------------------


def _quorum_met(session: Session) -> bool:
    """The meetings app's quorum rule: present > the round's ratio × expected."""
    return quorum_status(session).met


def quorum_message(session: Session) -> str:
    """A one-line Chinese summary of 应到 / 实到 and the quorum rule, for the console."""
    categories = list(session.categories.all())
    expected = sum(c.expected for c in categories)
    present = sum(c.present for c in categories)
    ratio = Decimal(session.round.quorum_ratio)
    return f"应到 {expected} 人，实到 {present} 人；实到须超过应到的 {ratio * 100:.0f}%。"


def _policy_snapshot(session: Session, categories: list[RosterCategory]) -> dict[str, Any]:
    rnd = session.round
    by_code = {str(c.get("code")): c for c in (rnd.categories or [])}
    weights = {c.code: c.weight for c in categories}
    use_round_weights = not any(weights.values())
    return {
        "scale": rnd.scale,
        "sub_items": rnd.sub_items or [],
        "quotas": rnd.quotas or {},
        "categories": [
            {
                "code": c.code,
                "label": c.label,
                "weight": str(
                    by_code.get(c.code, {}).get("weight", "0") if use_round_weights else c.weight
                ),
                "expected": c.expected,
            }
            for c in categories
        ],
        "min_ballots": rnd.min_ballots,
        "allow_abstain": bool(getattr(rnd, "allow_abstain", False)),
    }


def _reporters_snapshot(session: Session) -> list[dict[str, Any]]:
    rows = (
        SessionReporter.objects.filter(session=session)
        .select_related("reporter__unit", "reporter__person")
        .order_by("position", "id")
    )
    return [
        {
            "id": sr.pk,
            "unit": sr.reporter.unit.name,
            "name": sr.reporter.person.name if sr.reporter.person else "",
        }
        for sr in rows
    ]


def _wipe_test_rounds(*, actor, session: Session) -> None:
    """Delete everything voted or issued in the session's test rounds (the rounds stay)."""
    tests = BallotRound.objects.filter(session=session, is_test=True)
    counts = {
        "codes": VoteCode.objects.filter(round__in=tests).delete()[0],
        "ballots": Ballot.objects.filter(round__in=tests).delete()[0],
        "comments": BallotComment.objects.filter(round__in=tests).delete()[0],
        "sealed_ballots": SealedBallot.objects.filter(round__in=tests).delete()[0],
        "paper_entries": PaperEntry.objects.filter(round__in=tests).delete()[0],
    }
    if any(counts.values()):
        audit.record(
            actor=actor,
            action="ballot.test_wipe",
            obj=session,
            scope_path=_host(session).path,
            changes={name: [count, 0] for name, count in counts.items()},
            note="正式投票开始，清除测试轮数据。",
        )


SINGLE_SUPERVISOR = "监票人"


def clean_supervisors(supervisors: Any, threshold: Any) -> tuple[list[str], int]:
    """The supervisors' names and the number needed to count, checked.

    ``None`` for both is the single-supervisor mode (one share, one person counts): meant for
    rehearsals, demonstrations and tests; a formal round should name several (2 of 3 is the
    console's default), so that no one person holds the key and one lost share loses nothing.
    """
    if supervisors is None:
        names = [SINGLE_SUPERVISOR]
    elif isinstance(supervisors, list | tuple):
        names = [str(n).strip() for n in supervisors if str(n).strip()]
    else:
        raise ValidationError({"supervisors": "监票人名单格式不正确。"})
    if not names:
        raise ValidationError({"supervisors": "请至少指定一名监票人。"})
    if len(names) > sealing.MAX_SUPERVISORS:
        raise ValidationError(
            {"supervisors": f"监票人最多 {sealing.MAX_SUPERVISORS} 名（现有 {len(names)} 名）。"}
        )
    if any(len(n) > 64 for n in names):
        raise ValidationError({"supervisors": "监票人姓名不能超过 64 个字。"})
    if len(set(names)) != len(names):
        raise ValidationError({"supervisors": "监票人姓名不能重复。"})
    if threshold is None:
        k = 1 if len(names) == 1 else max(2, len(names) // 2 + 1)
    elif isinstance(threshold, int) and not isinstance(threshold, bool):
        k = threshold
    else:
        raise ValidationError({"threshold": "开箱所需人数必须是整数。"})
    if not 1 <= k <= len(names):
        raise ValidationError({"threshold": f"开箱所需人数须在 1 到 {len(names)} 之间。"})
    return names, k


@dataclass(frozen=True)
class SupervisorShare:
    """A supervisor's share as shown once, when the round opens. Never stored."""

    number: int
    name: str
    share: str


@transaction.atomic
def open_round(
    *,
    actor,
    session: Session,
    is_test: bool = False,
    supervisors: list[str] | None = None,
    threshold: int | None = None,
    override_reason: str = "",
) -> BallotRound:
    """Open the next ballot round of ``session`` (a test round, or a formal one).

    A formal round opens only once every live reporter on the agenda has finished speaking,
    or with ``override_reason``, which the audit entry records (:mod:`shuzhi.ballots.order`).

    Refuses without quorum (formal rounds; a test round is a rehearsal before sign-in), while
    another round of the session is open, or without reporters or voter categories. Snapshots
    the reporters and the policy into the round. Opening a formal round wipes the data of the
    session's test rounds. A planned session becomes in progress.

    Makes the round's key pair: the public key goes into the policy snapshot, the private key
    is split among ``supervisors`` (names; any ``threshold`` of them count the ballots) and
    dropped. The returned round carries the shares in ``shares`` (a list of
    :class:`SupervisorShare`) — the only time they exist outside the supervisors' hands: show
    each to its supervisor once. See :func:`clean_supervisors` for the defaults.
    """
    names, k = clean_supervisors(supervisors, threshold)
    session = (
        Session.objects.select_related("round__host")
        .select_for_update(of=("self",))
        .get(pk=session.pk)
    )
    _require(actor, session)
    if session.status in (SessionStatus.CLOSED, SessionStatus.PUBLISHED):
        raise ValidationError({"session": "会议已结束，不能再开始投票。"})
    rounds = BallotRound.objects.filter(session=session)
    if rounds.filter(status=BallotRoundStatus.OPEN).exists():
        raise ValidationError({"session": "本次会议已有正在进行的投票，请先结束它。"})
    if is_test and rounds.filter(is_test=False).exists():
        raise ValidationError({"is_test": "已进行过正式投票，不能再开测试轮。"})
    categories = list(session.categories.all())
    if not categories or not any(c.expected for c in categories):
        raise ValidationError({"session": "请先设置参评人员类别和应到人数。"})
    reporters = _reporters_snapshot(session)
    if not reporters:
        raise ValidationError({"session": "请先确定本次会议的述职人。"})
    if not is_test and not _quorum_met(session):
        raise ValidationError(
            {"session": "未达到法定人数，不能开始投票。" + quorum_message(session)}
        )
    early = order.check_opening(session, is_test=is_test, override_reason=override_reason)
    if not is_test:
        _wipe_test_rounds(actor=actor, session=session)
    number = (rounds.aggregate(n=Max("number"))["n"] or 0) + 1
    keys = sealing.generate(n=len(names), k=k)
    ballot_round = BallotRound.objects.create(
        session=session,
        number=number,
        is_test=is_test,
        status=BallotRoundStatus.OPEN,
        reporters=reporters,
        policy=_policy_snapshot(session, categories) | {"seal_key": keys.public_key.hex()},
        opened_at=timezone.now(),
        sealed=True,
        seal_threshold=k,
    )
    ballot_round.shares = attach_supervisors(ballot_round, names, keys)  # type: ignore[attr-defined]
    if session.status == SessionStatus.PLANNED and not is_test:
        # The meeting starts with its first formal ballot (a rehearsal leaves the session
        # editable), through the meetings service so the move is checked and audited.
        session = meeting_services.transition_session(
            actor=actor, session=session, status=SessionStatus.IN_PROGRESS
        )
    audit.record(
        actor=actor,
        action="ballot.round_open",
        obj=ballot_round,
        scope_path=_host(session).path,
        changes={
            "number": [None, number],
            "is_test": [None, is_test],
            "status": [None, "open"],
            "supervisors": [None, len(names)],
            "seal_threshold": [None, k],
            **({"agenda_override_reason": [None, early]} if early else {}),
        },
        note=f"现场述职尚未全部结束即开始正式投票，理由：{early}" if early else "",
    )
    return ballot_round


def attach_supervisors(
    ballot_round: BallotRound, names: list[str], keys: sealing.RoundKeys
) -> list[SupervisorShare]:
    """Record the supervisors of a new round (names and share numbers only) and return their
    shares for showing once. Used by :func:`open_round` and by the demonstration data."""
    VoteSupervisor.objects.bulk_create(
        VoteSupervisor(round=ballot_round, number=share.number, name=name)
        for name, share in zip(names, keys.shares, strict=True)
    )
    return [
        SupervisorShare(number=share.number, name=name, share=share.text)
        for name, share in zip(names, keys.shares, strict=True)
    ]


# --- Codes ---------------------------------------------------------------------------------


def default_margin(expected: int) -> int:
    """Spare codes per category: 10 % of those expected, rounded up, at least 2."""
    return max(2, math.ceil(expected * 0.1)) if expected else 0


def _unique_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        batch = {random_code() for _ in range(count - len(codes))} - codes
        clashes = set(VoteCode.objects.filter(code__in=batch).values_list("code", flat=True))
        codes |= batch - clashes
    return list(codes)


@transaction.atomic
def issue_codes(*, actor, ballot_round: BallotRound, margin: int | None = None) -> list[VoteCode]:
    """Issue one-time codes for an open round: per category, expected + ``margin`` codes.

    ``margin`` defaults to :func:`default_margin`. Codes are created in shuffled order so the
    printed slips come out mixed. Returns the new codes; the audit entry holds counts only.
    """
    ballot_round = BallotRound.objects.select_related("session__round__host").get(
        pk=ballot_round.pk
    )
    _require(actor, ballot_round.session)
    if ballot_round.status != BallotRoundStatus.OPEN:
        raise ValidationError({"round": "只能为进行中的投票轮次发放投票码。"})
    if margin is not None and (not isinstance(margin, int) or margin < 0 or margin > 10_000):
        raise ValidationError({"margin": "备用数量必须是 0 到 10000 之间的整数。"})
    wanted: list[str] = []
    counts: dict[str, list[int | None]] = {}
    for category in ballot_round.session.categories.all():
        n = category.expected + (default_margin(category.expected) if margin is None else margin)
        wanted += [category.code] * n
        counts[category.code] = [None, n]
    if not wanted:
        raise ValidationError({"round": "没有需要发放投票码的类别（应到人数为 0）。"})
    _random.shuffle(wanted)
    codes = [
        VoteCode(round=ballot_round, code=code, category=category)
        for code, category in zip(_unique_codes(len(wanted)), wanted, strict=True)
    ]
    VoteCode.objects.bulk_create(codes)
    audit.record(
        actor=actor,
        action="ballot.codes_issue",
        obj=ballot_round,
        scope_path=ballot_round.session.round.host.path,
        changes=counts,
    )
    return codes


# --- The vote (hot path) -------------------------------------------------------------------


@dataclass(frozen=True)
class BallotForm:
    """The compiled snapshot of a round: what a valid ballot looks like."""

    reporters: list[dict[str, Any]]
    ids: dict[str, int]
    grades: dict[str, str]  # scale code → label, in scale order
    items: dict[str, str]  # sub-item code → label
    quotas: dict[str, int]
    allow_abstain: bool
    scale: list[dict[str, Any]]
    sub_items: list[dict[str, Any]]
    seal_key: bytes = b""  # the round's public key; empty for a round opened before sealing
    seal_size: int = 0  # every sealed ballot of the round is padded to this many bytes
    capacity: int = 0  # the largest ballot (grades and comments) a box of this round holds


def _capacity(reporters: list[dict[str, Any]], scale: list, sub_items: list) -> int:
    """Bytes of the largest valid ballot's payload: every reporter with the longest grade
    overall and on every sub-item, and comments of :data:`COMMENT_TOTAL_MAX` characters in
    all (four bytes each at most, once encoded)."""
    grade = max((len(str(s["code"]).encode()) for s in scale), default=0)
    total = 64
    for r in reporters:
        key = len(str(r["id"]).encode())
        total += key + grade + 6  # "id":"grade",
        total += key + 5 + sum(len(str(i["code"]).encode()) + grade + 6 for i in sub_items)
        total += key + 6  # "id":"", for a comment
    return total + 4 * COMMENT_TOTAL_MAX


def compile_form(reporters: list[dict[str, Any]], policy: dict[str, Any]) -> BallotForm:
    """Turn a round's snapshots into a :class:`BallotForm`."""
    scale = list(policy.get("scale") or [])
    sub_items = list(policy.get("sub_items") or [])
    capacity = _capacity(reporters, scale, sub_items)
    return BallotForm(
        reporters=reporters,
        ids={str(r["id"]): int(r["id"]) for r in reporters},
        grades={str(s["code"]): str(s["label"]) for s in scale},
        items={str(s["code"]): str(s["label"]) for s in sub_items},
        quotas={str(k): int(v) for k, v in (policy.get("quotas") or {}).items()},
        allow_abstain=bool(policy.get("allow_abstain")),
        scale=scale,
        sub_items=sub_items,
        seal_key=bytes.fromhex(str(policy.get("seal_key") or "")),
        seal_size=sealing.sealed_size(capacity),
        capacity=capacity,
    )


# Compiled snapshots by round id, with the raw JSON they came from: a round's snapshot never
# changes while it is open, so each worker parses it once instead of once per ballot.
_FORMS: dict[int, tuple[Any, Any, BallotForm]] = {}


def _form_for(round_id: int, reporters: Any, policy: Any) -> BallotForm:
    cached = _FORMS.get(round_id)
    if cached is not None and cached[0] == reporters and cached[1] == policy:
        return cached[2]
    form = compile_form(
        json.loads(reporters) if isinstance(reporters, str | bytes) else reporters,
        json.loads(policy) if isinstance(policy, str | bytes) else policy,
    )
    if len(_FORMS) > 256:
        _FORMS.clear()
    _FORMS[round_id] = (reporters, policy, form)
    return form


def form_for_round(ballot_round: BallotRound) -> BallotForm:
    """The ballot form of a round, from its snapshots."""
    return compile_form(ballot_round.reporters, ballot_round.policy)


def clean_ballot(
    form: BallotForm, ratings: Any, comments: Any
) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """Check a ballot against the form; return ``(reporter, item, grade)`` rows and comments.

    Raises ``ValidationError`` with Chinese messages keyed by reporter id (or ``ratings``,
    ``comments``, ``quotas`` for the ballot as a whole). Messages never repeat a submitted grade.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(ratings, dict):
        raise ValidationError({"ratings": "选票格式不正确。"})
    if comments is None:
        comments = {}
    if not isinstance(comments, dict):
        raise ValidationError({"comments": "意见建议格式不正确。"})
    ids = form.ids
    if any(str(key) not in ids for key in ratings) or any(str(key) not in ids for key in comments):
        errors["ratings"] = ["选票中有不在本轮名单上的述职人。"]
    rows: list[tuple[int, str, str]] = []
    tally: dict[str, int] = {}
    grades = form.grades
    for key, reporter_id in ids.items():
        rating = ratings.get(key)
        if rating is None:
            rating = ratings.get(reporter_id)  # type: ignore[call-overload]
        if not isinstance(rating, dict):
            errors.setdefault(key, []).append("请选择总体评价。")
            continue
        overall = rating.get("overall")
        if overall in (None, ""):
            if form.allow_abstain and overall == "":
                rows.append((reporter_id, "overall", ""))
            else:
                errors.setdefault(key, []).append("请选择总体评价。")
        elif not isinstance(overall, str) or overall not in grades:
            errors.setdefault(key, []).append("总体评价的等次无效。")
        else:
            rows.append((reporter_id, "overall", overall))
            tally[overall] = tally.get(overall, 0) + 1
        items = rating.get("items") or {}
        if not isinstance(items, dict):
            errors.setdefault(key, []).append("分项评价格式不正确。")
            continue
        for item, grade in items.items():
            if item not in form.items:
                errors.setdefault(key, []).append("分项评价中有未设置的项目。")
            elif grade in (None, ""):
                continue  # sub-items are optional
            elif not isinstance(grade, str) or grade not in grades:
                errors.setdefault(key, []).append(f"分项“{form.items[item]}”的等次无效。")
            else:
                rows.append((reporter_id, item, grade))
    for code, limit in form.quotas.items():
        chosen = tally.get(code, 0)
        if chosen > limit:
            errors.setdefault("quotas", []).append(
                f"“{grades.get(code, code)}”最多只能选 {limit} 个，您选了 {chosen} 个。"
            )
    notes: list[tuple[int, str]] = []
    for key, text in comments.items():
        if str(key) not in ids:
            continue
        if text is None:
            continue
        if not isinstance(text, str):
            errors.setdefault(str(key), []).append("意见建议格式不正确。")
            continue
        text = text.strip()
        if len(text) > COMMENT_MAX_LENGTH:
            errors.setdefault(str(key), []).append(
                f"意见建议不能超过 {COMMENT_MAX_LENGTH} 个字（现有 {len(text)} 个）。"
            )
        elif text:
            notes.append((ids[str(key)], text))
    written = sum(len(text) for _reporter, text in notes)
    if written > COMMENT_TOTAL_MAX:
        errors.setdefault("comments", []).append(
            f"意见建议合计不能超过 {COMMENT_TOTAL_MAX} 个字（现有 {written} 个）。"
        )
    if errors:
        raise ValidationError(errors)
    return rows, notes


_CLAIM_SQL = (
    "UPDATE ballots_votecode SET used = %s, nonce = %s, receipt = %s "
    "FROM ballots_ballotround r "
    "WHERE ballots_votecode.code = %s AND NOT ballots_votecode.used "
    "AND ballots_votecode.round_id = r.id AND r.status = 'open'{session} "
    "RETURNING ballots_votecode.category, ballots_votecode.round_id, r.reporters, r.policy, "
    "r.opened_at"
)
# SQLite (3.35+) cannot RETURN columns of an UPDATE's FROM tables; scalar subqueries keep the
# claim one statement there too.
_CLAIM_SQLITE = (
    "UPDATE ballots_votecode SET used = %s, nonce = %s, receipt = %s "
    "WHERE code = %s AND NOT used AND round_id IN "
    "(SELECT id FROM ballots_ballotround WHERE status = 'open'{session}) "
    "RETURNING category, round_id, "
    "(SELECT reporters FROM ballots_ballotround r WHERE r.id = ballots_votecode.round_id), "
    "(SELECT policy FROM ballots_ballotround r WHERE r.id = ballots_votecode.round_id), "
    "(SELECT opened_at FROM ballots_ballotround r WHERE r.id = ballots_votecode.round_id)"
)
_SESSION = " AND r.session_id = %s"
_CLAIMS = {
    ("postgresql", False): _CLAIM_SQL.format(session=""),
    ("postgresql", True): _CLAIM_SQL.format(session=_SESSION),
    ("sqlite", False): _CLAIM_SQLITE.format(session=""),
    ("sqlite", True): _CLAIM_SQLITE.format(session=" AND session_id = %s"),
}
_INSERT = {
    "postgresql": "INSERT INTO ballots_sealedballot (id, round_id, category, box) "
    "VALUES (gen_random_uuid(), %s, %s, %s)",
    "sqlite": "INSERT INTO ballots_sealedballot (id, round_id, category, box) "
    "VALUES (%s, %s, %s, %s)",
}
# PostgreSQL's whole vote in one statement, in autocommit: claim the code of the round the
# ballot was checked against, and insert the sealed ballot only if the claim matched. The round is
# pinned by id and opening time, so a ballot checked against another round's form stores
# nothing and takes the general path. Prepared once per connection (prepared statements
# outlive transactions, rolled back or not), so a full hall's ballots skip parsing and planning.
_CLAIM_AND_INSERT = (
    "WITH claim AS (UPDATE ballots_votecode SET used = true, nonce = $1, receipt = $2 "
    "FROM ballots_ballotround r "
    "WHERE ballots_votecode.code = $3 AND NOT ballots_votecode.used "
    "AND ballots_votecode.round_id = r.id AND r.id = $4 AND r.opened_at = $5 "
    "AND r.status = 'open'{session} "
    "RETURNING ballots_votecode.round_id, ballots_votecode.category) "
    "INSERT INTO ballots_sealedballot (id, round_id, category, box) "
    "SELECT gen_random_uuid(), round_id, category, $6 FROM claim"
)
_VOTE_TYPES = "varchar, varchar, varchar, bigint, timestamptz, bytea"
_PREPARED_VOTES = {
    False: (
        "ballots_seal",
        f"PREPARE ballots_seal ({_VOTE_TYPES}) AS " + _CLAIM_AND_INSERT.format(session=""),
        "EXECUTE ballots_seal (%s, %s, %s, %s, %s, %s)",
    ),
    True: (
        "ballots_seal_session",
        f"PREPARE ballots_seal_session ({_VOTE_TYPES}, bigint) AS "
        + _CLAIM_AND_INSERT.format(session=" AND r.session_id = $7"),
        "EXECUTE ballots_seal_session (%s, %s, %s, %s, %s, %s, %s)",
    ),
}
# The DB-API connections (weakly held) on which this worker has prepared each statement.
_prepared_on: dict[bool, weakref.WeakSet[Any]] = {False: weakref.WeakSet(), True: weakref.WeakSet()}

_EXPLAIN = (
    "SELECT c.used, c.nonce, c.receipt, r.status, r.session_id "
    "FROM ballots_votecode c JOIN ballots_ballotround r ON r.id = c.round_id WHERE c.code = %s"
)

# The round this worker last took a ballot for, with its opening time and form: in a full hall
# every ballot is for that round, so the next one is checked against it before any query.
_last_round: tuple[int, Any, BallotForm] | None = None


def _explain(cursor, code: str, nonce: str, session_id: int | None) -> str:
    """The claim matched nothing: say why, or return the receipt of an identical retry."""
    cursor.execute(_EXPLAIN, [code])
    row = cursor.fetchone()
    if row is None:
        raise VoteRefused("unknown", "投票码无效，请核对后重新输入。")
    used, stored_nonce, receipt, status, code_session = row
    if session_id is not None and code_session != session_id:
        raise VoteRefused("foreign", "该投票码不属于本次会议。")
    if used and nonce and secrets.compare_digest(str(stored_nonce), nonce):
        return str(receipt)
    if status != BallotRoundStatus.OPEN:
        raise VoteRefused("closed", "本轮投票已结束。")
    raise VoteRefused("used", "该投票码已使用。")


def _uuids(n: int) -> list[uuid.UUID]:
    raw = os.urandom(16 * n)
    return [uuid.UUID(bytes=raw[i * 16 : i * 16 + 16], version=4) for i in range(n)]


def ballot_json(rows: list[tuple[int, str, str]]) -> tuple[str, str]:
    """The two JSON columns of a :class:`~shuzhi.ballots.models.Ballot` from ``(reporter id,
    item, grade)`` rows, as text for the insert."""
    ratings, items = split_rows(rows)
    return (
        json.dumps(ratings, separators=(",", ":"), ensure_ascii=False),
        json.dumps(items, separators=(",", ":"), ensure_ascii=False),
    )


def seal_ballot(
    form: BallotForm, rows: list[tuple[int, str, str]], notes: list[tuple[int, str]]
) -> bytes:
    """The ballot's contents (grades and comments) padded to the round's size and sealed to
    its public key. Refuses a round opened without a key, and comments that would not fit."""
    if not form.seal_key:
        raise ValidationError({"ratings": "本轮投票未设置加密密钥，请联系组织者重新开始投票。"})
    ratings, items = split_rows(rows)
    content = sealing.payload(ratings, items, {str(r): text for r, text in notes})
    if len(content) > form.capacity:
        raise ValidationError({"comments": "意见建议过长，请精简后再提交。"})
    return sealing.seal(form.seal_key, content, form.seal_size)


def _claim_and_insert(
    *, code: str, nonce: str, receipt: str, ratings: Any, session_id: int | None
) -> bool:
    """PostgreSQL's one-statement vote for a ballot without comments, checked against the
    round this worker saw last. False when it stored nothing (another round, a used or unknown
    code, an invalid ballot): the caller then takes the general path, which says why."""
    hot = _last_round
    if hot is None:
        return False
    round_id, opened_at, form = hot
    try:
        rows, _notes = clean_ballot(form, ratings, None)
        box = seal_ballot(form, rows, [])
    except ValidationError:
        return False  # perhaps valid for another round; the general path decides
    with_session = session_id is not None
    name, prepare, execute = _PREPARED_VOTES[with_session]
    params: list[Any] = [nonce, receipt, code, round_id, opened_at, box]
    if with_session:
        params.append(session_id)
    with connection.cursor() as cursor:
        # The DB-API cursor beneath Django's wrapper: the statement carries the code beside the
        # sealed box and never reaches a debug log. Its errors still mark a broken connection
        # for Django, which then drops it after the request.
        raw = cursor.cursor
        with connection.wrap_database_errors:
            link = connection.connection
            if link not in _prepared_on[with_session]:
                raw.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
                if raw.fetchone() is None:
                    raw.execute(prepare)
                _prepared_on[with_session].add(link)
            raw.execute(execute, params)
            return raw.rowcount == 1


def submit_ballot(
    *,
    code: str,
    nonce: str,
    ratings: Any,
    comments: Any = None,
    session_id: int | None = None,
) -> str:
    """Cast the ballot of one code and return its receipt. No actor, no audit, no logging.

    A retry of the same submission (same ``nonce``) returns the stored receipt and stores
    nothing. Raises :class:`VoteRefused` for unknown, foreign, used codes and closed rounds,
    and ``ValidationError`` (messages keyed by reporter id) for an incomplete or invalid
    ballot — in both cases nothing is stored and the code stays as it was.

    The ballot (grades and comments) is stored only sealed to the round's public key
    (:func:`seal_ballot`), as one :class:`~shuzhi.ballots.models.SealedBallot` row.
    On PostgreSQL a ballot without comments for the round the worker saw last is one
    statement in autocommit (claim and insert together, or neither). Otherwise, in one
    transaction: the claim, which returns the round's snapshot; the check against it; one
    ``INSERT`` of the sealed box.

    The statements go through the DB-API cursor under Django's wrapper, so even a debug cursor
    (DEBUG, query capture) never writes a code beside its box to a log.
    """
    global _last_round
    code = normalise_code(code)
    nonce = str(nonce or "")
    if len(nonce) > NONCE_MAX_LENGTH or not code or len(code) > 16:
        if len(nonce) > NONCE_MAX_LENGTH:
            raise ValidationError({"nonce": "提交编号无效，请刷新页面后重新提交。"})
        raise VoteRefused("unknown", "投票码无效，请核对后重新输入。")
    receipt = random_code(RECEIPT_LENGTH)
    vendor = connection.vendor
    one_statement = vendor == "postgresql" and (comments is None or comments == {})
    if one_statement and _claim_and_insert(
        code=code, nonce=nonce, receipt=receipt, ratings=ratings, session_id=session_id
    ):
        return receipt
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        connection.wrap_database_errors,
    ):
        # The DB-API cursor beneath Django's wrapper: not even a debug cursor logs a code.
        raw = cursor.cursor
        claim = _CLAIMS[vendor, session_id is not None]
        if session_id is None:
            raw.execute(claim, [True, nonce, receipt, code])
        else:
            raw.execute(claim, [True, nonce, receipt, code, session_id])
        claimed = raw.fetchone()
        if claimed is None:
            return _explain(raw, code, nonce, session_id)
        category, round_id, reporters, policy, opened_at = claimed
        form = _form_for(round_id, reporters, policy)
        rows, notes = clean_ballot(form, ratings, comments)
        box = seal_ballot(form, rows, notes)
        if opened_at is not None:
            _last_round = (round_id, opened_at, form)
        if vendor == "postgresql":
            raw.execute(_INSERT[vendor], [round_id, category, box])
        else:
            raw.execute(_INSERT[vendor], [_uuids(1)[0].hex, round_id, category, box])
    return receipt


# --- Closing, counting and publishing: shuzhi.ballots.counting -----------------------------

close_round = counting.close_round
unseal_round = counting.unseal_round
publish_round = counting.publish_round
counted_receipts = counting.counted_receipts
ballots_cast = counting.ballots_cast
