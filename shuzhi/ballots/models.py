"""The anonymous ballot, split by construction into two sides that nothing joins.

Who may vote and who has voted: :class:`VoteCode` (and the roster in ``meetings``).
What was voted: :class:`Ballot` (one row per ballot; read rating by rating through the
:class:`BallotEntry` view) and :class:`BallotComment`.

No foreign key, id sequence, timestamp or audit record joins the two sides. Ballot rows have
random UUID keys and no times. See docs/decisions/0004-ballot-anonymity.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuzhi.kernel.querysets import ScopedQuerySet

OVERALL = "overall"


class BallotRoundStatus(models.TextChoices):
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已结束")
    PUBLISHED = "published", _("已公布")
    VOID = "void", _("已作废")


class BallotRoundQuerySet(ScopedQuerySet):
    """A ballot round belongs to its annual round's host unit."""

    scope_routes = (("session__round__host__path", "session__round__host__depth"),)
    view_action = "round.view"


class BallotRound(models.Model):
    """One round of voting at a session. A closed round is immutable; a re-vote is a new round.

    ``reporters`` and ``policy`` are snapshots taken when the round opens (the session reporter
    ids in order, and the scale, sub-items, quotas and categories), so the vote path reads one
    row and later edits to the round cannot change a vote in progress. A test round's data is
    wiped when the formal round opens.
    """

    session = models.ForeignKey(
        "meetings.Session",
        verbose_name=_("会议"),
        on_delete=models.CASCADE,
        related_name="ballot_rounds",
    )
    number = models.PositiveSmallIntegerField(_("轮次"))
    is_test = models.BooleanField(_("测试轮"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=BallotRoundStatus.choices,
        default=BallotRoundStatus.OPEN,
    )
    reporters = models.JSONField(_("述职人快照"), default=list)
    policy = models.JSONField(_("规则快照"), default=dict)
    paper_issued = models.PositiveIntegerField(_("发出纸质票数"), default=0)
    opened_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    void_reason = models.TextField(_("作废原因"), blank=True)
    # Sealed ballots (docs/decisions/0004-ballot-anonymity.md): phone ballots wait encrypted in
    # SealedBallot until ``seal_threshold`` supervisors present their shares; the public key is
    # in the policy snapshot (``policy["seal_key"]``), the private key nowhere.
    sealed = models.BooleanField(_("待开箱"), default=False)
    seal_threshold = models.PositiveSmallIntegerField(_("开箱所需监票人数"), default=1)

    objects = BallotRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("投票轮次")
        verbose_name_plural = _("投票轮次")
        ordering = ["session_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="ballots_round_number")
        ]

    def __str__(self) -> str:
        return f"{self.session} 第{self.number}轮{'（测试）' if self.is_test else ''}"


class VoteSupervisor(models.Model):
    """A vote supervisor (监票人) of a round: the holder of share ``number`` of the round's
    private key. Only the name and the number are stored — the share itself was shown once,
    when the round opened, and exists only where the supervisor keeps it."""

    round = models.ForeignKey(
        BallotRound,
        verbose_name=_("投票轮次"),
        on_delete=models.CASCADE,
        related_name="supervisors",
    )
    number = models.PositiveSmallIntegerField(_("份额编号"))
    name = models.CharField(_("监票人"), max_length=64)

    class Meta:
        verbose_name = _("监票人")
        verbose_name_plural = _("监票人")
        ordering = ["round_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="ballots_supervisor_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class VoteCode(models.Model):
    """A one-time code printed on a slip. It records only its round, category and whether it has
    been used — no time, no address, no user.

    ``nonce`` is the random submission id the phone sent with the ballot; a retry with the same
    nonce gets the same ``receipt`` back and stores nothing. Neither is derived from the
    ballot's contents, so they link nothing to what was voted.
    """

    # Three indexes only (the key, the code, round × category), none on a column the vote
    # changes: marking a code used is then a heap-only update on PostgreSQL (the table leaves
    # room on each page for it, migration 0004), which writes no index entry at all.
    round = models.ForeignKey(
        BallotRound,
        verbose_name=_("投票轮次"),
        on_delete=models.CASCADE,
        related_name="codes",
        db_index=False,  # ballots_code_round_category leads with it
    )
    code = models.CharField(_("投票码"), max_length=16)
    category = models.CharField(_("类别代码"), max_length=32)
    used = models.BooleanField(_("已使用"), default=False)
    nonce = models.CharField(max_length=64, blank=True)
    receipt = models.CharField(_("回执码"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("投票码")
        verbose_name_plural = _("投票码")
        # A constraint rather than unique=True: no second, pattern-matching index on the code.
        constraints = [models.UniqueConstraint(fields=["code"], name="ballots_code_unique")]
        indexes = [models.Index(fields=["round", "category"], name="ballots_code_round_category")]

    def __str__(self) -> str:
        return self.code


class Ballot(models.Model):
    """One voter's ballot, whole, in one row: the round, the voter's category and the grades.

    ``ratings`` maps each session reporter id (as a string) to the overall grade (a scale code;
    empty for an abstention); ``items`` maps a reporter id to ``{sub-item code: grade}`` for the
    sub-items rated. The key is a random UUID (v4), and nothing else — no time, no sequence, no
    code — is stored, so the row says what was voted and nothing about who or when.

    One row instead of one per rating: a full hall's ballot of 40 reporters was 40 inserts into
    an indexed table, the largest share of the vote path's database time
    (docs/decisions/0004-ballot-anonymity.md). The tally unnests the JSON in SQL through the
    :class:`BallotEntry` view.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No database constraint on the round: the vote path inserts the round id the code's claim
    # returned, and a constraint's key-share lock on the round row, taken by every ballot of a
    # full hall at once, would serialise them on one row (PostgreSQL multixacts).
    round = models.ForeignKey(
        BallotRound,
        verbose_name=_("投票轮次"),
        on_delete=models.CASCADE,
        related_name="ballots",
        db_constraint=False,
    )
    category = models.CharField(_("类别代码"), max_length=32)
    ratings = models.JSONField(_("总体评价"), default=dict)
    items = models.JSONField(_("分项评价"), default=dict, blank=True)

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")

    def __str__(self) -> str:
        return f"{self.category}: {len(self.ratings)}"

    @classmethod
    def from_rows(
        cls, *, round_id: int, category: str, rows: Iterable[tuple[int | str, str, str]]
    ) -> Ballot:
        """A ballot from ``(reporter id, item, grade)`` rows, with a fresh random key."""
        ratings, items = split_rows(rows)
        return cls(
            id=uuid.uuid4(), round_id=round_id, category=category, ratings=ratings, items=items
        )


def split_rows(
    rows: Iterable[tuple[int | str, str, str]],
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``(reporter id, item, grade)`` rows (item ``overall`` or a sub-item code; grade empty
    for an abstention) as a :class:`Ballot`'s two columns: ``{reporter: overall grade}`` and
    ``{reporter: {sub-item: grade}}``."""
    ratings: dict[str, str] = {}
    items: dict[str, dict[str, str]] = {}
    for reporter_id, item, grade in rows:
        if item == OVERALL:
            ratings[str(reporter_id)] = grade
        else:
            items.setdefault(str(reporter_id), {})[item] = grade
    return ratings, items


class SealedBallot(models.Model):
    """A phone ballot while its round is open: the round, the voter's category and ``box``, the
    contents (grades, sub-item grades, comments) padded to the round's fixed size and sealed to
    the round's public key. Nothing readable of what was voted is stored before counting.

    Counting (``counting.unseal_round``) opens every box of the round in random order into new
    :class:`Ballot` and :class:`BallotComment` rows, with new random keys, in a transaction of its
    own, and deletes these rows. The category is in clear: the code that cast the ballot holds
    it anyway, and the claim copies it here in the same statement.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No database constraint on the round, as on Ballot: the vote path inserts the round id the
    # code's claim returned.
    round = models.ForeignKey(
        BallotRound,
        verbose_name=_("投票轮次"),
        on_delete=models.CASCADE,
        related_name="sealed_ballots",
        db_constraint=False,
    )
    category = models.CharField(_("类别代码"), max_length=32)
    box = models.BinaryField(_("密封选票"))

    class Meta:
        verbose_name = _("密封选票")
        verbose_name_plural = _("密封选票")

    def __str__(self) -> str:
        return f"{self.category}: {len(self.box or b'')} B"


class BallotEntry(models.Model):
    """One rating of one ballot, read from the database view ``ballots_ballotentry`` that
    unnests each :class:`Ballot`'s JSON (``jsonb_each`` on PostgreSQL, ``json_each`` on
    SQLite): the round, the ballot, the voter's category, a reporter, an item (``overall`` or a
    sub-item code) and a grade (empty for an abstention). Read-only; the tally groups it.

    ``id`` is the ballot key, reporter and item joined — derived, never stored.
    """

    id = models.CharField(primary_key=True, max_length=80, editable=False)
    round = models.ForeignKey(
        BallotRound,
        verbose_name=_("投票轮次"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    ballot = models.UUIDField(_("选票"))
    category = models.CharField(_("类别代码"), max_length=32)
    reporter = models.ForeignKey(
        "meetings.SessionReporter",
        verbose_name=_("述职人"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    item = models.CharField(_("评价项目"), max_length=32, default=OVERALL)
    grade = models.CharField(_("等次"), max_length=32, blank=True)

    class Meta:
        managed = False
        db_table = "ballots_ballotentry"
        verbose_name = _("选票评价")
        verbose_name_plural = _("选票评价")

    def __str__(self) -> str:
        return f"{self.item}={self.grade or '弃权'}"


class BallotComment(models.Model):
    """A voter's optional comment on one reporter, stored apart from the ratings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(
        BallotRound, verbose_name=_("投票轮次"), on_delete=models.CASCADE, related_name="comments"
    )
    reporter = models.ForeignKey(
        "meetings.SessionReporter",
        verbose_name=_("述职人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.TextField(_("意见建议"))

    class Meta:
        verbose_name = _("测评意见")
        verbose_name_plural = _("测评意见")

    def __str__(self) -> str:
        return self.text[:30]


class PaperEntry(models.Model):
    """One clerk's typing of one paper ballot. Two clerks type each sheet independently; sheets
    whose two entries agree become ballot entries, the rest are listed for reconciliation.

    ``ratings`` maps a session reporter id to ``{item: grade}``. The sheet number is printed on
    the paper form, which is handed out at random; it is not linked to a voter.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(
        BallotRound,
        verbose_name=_("投票轮次"),
        on_delete=models.CASCADE,
        related_name="paper_entries",
    )
    sheet = models.PositiveIntegerField(_("票号"))
    clerk = models.PositiveSmallIntegerField(
        _("录入员"), choices=[(1, "录入员一"), (2, "录入员二")]
    )
    category = models.CharField(_("类别代码"), max_length=32)
    ratings = models.JSONField(_("评价"), default=dict)
    counted = models.BooleanField(_("已计入"), default=False)

    class Meta:
        verbose_name = _("纸质票录入")
        verbose_name_plural = _("纸质票录入")
        constraints = [
            models.UniqueConstraint(fields=["round", "sheet", "clerk"], name="ballots_paper_once")
        ]

    def __str__(self) -> str:
        return f"{self.sheet}#{self.clerk}"
