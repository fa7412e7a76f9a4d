"""A full hall voting over HTTP against the production server setup: the phones' real path
(the ballot page, the form, the receipt) beside the vote API and two baselines.

    python -m bench.hall_vote [--voters 2000] [--reporters 40] [--sub-items 0]
                              [--concurrency 64] [--server gunicorn|gthread|granian|both|all]
                              [--workers N] [--threads T] [--slices 4] [--warmup 200]
                              [--kill-worker] [--kill-during phone|api] [--keep-db]

In a fresh PostgreSQL database (``<name>_bench_hall`` after the one ``DATABASE_URL`` names,
else ``shuzhi_bench_hall``: dropped, re-created, migrated with
``manage.py migrate``) it seeds one open ballot round: a host unit, ``--reporters`` reporting
units with their secretaries, a session with that many reporters, five roster categories totalling
``--voters`` expected and present; the ballot round is opened and the codes issued through the
product's services (two codes per voter — one set for the API, one for the phones — plus a
spare margin, used to warm the server up). Then, for each application server, on the same
server process:

1. the ORM baseline ``POST /bench/orm-insert/<code>`` (``BenchVote.objects.create`` in a
   transaction), 2. the raw baseline ``POST /bench/raw-insert/<code>`` (one ``INSERT … ON
   CONFLICT``), 3. Shuzhi's ``POST /api/vote/<code>`` (JSON), 4. **the phone flow**, the
   headline: ``GET /v/<code>/`` as a phone's browser asks for it (``Accept-Encoding: gzip``),
   the nonce taken from the page, the form ``POST``ed back, the receipt read off the answer,

each with ``--voters`` ballots of ``--reporters`` ratings, sent once each over
``--concurrency`` keep-alive connections by a separate client process (``bench.hall_load``),
the four interleaved in ``--slices`` slices so background noise falls on all alike. Prints
ballots/s, p50/p99 and the server's and PostgreSQL's CPU per ballot for each, for the phones
also p50/p99 of the GET and of the POST and the page's bytes on the wire; the target lines
(phone flow ≥ 0.8 × the API's ballots/s, flow p99 < 300 ms, page ≤ 12 KB; API ≥ 0.8 × the
ORM view, API p99 ≤ 150 ms); and — comparing receipts acknowledged with 200 against the used
codes and stored ballots — ``figure vote_lost`` and ``figure vote_duplicated``.

``--kill-worker`` SIGKILLs one application worker a third of the way through the phones' load
(``--kill-during api``: the API's) — the server respawns it — and then checks that every
acknowledged ballot is stored and that the number of stored ballots equals the number of used
codes (``figure vote_after_kill_*``).

Needs the ``granian`` package for ``--server granian``; PostgreSQL on the same host for the
database CPU figures. Not a test; pytest never runs it.
See docs/decisions/0005-application-server.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
# The database to drop, create and fill: ``<name>_bench_hall`` after the database DATABASE_URL
# names (so people sharing a server each bench in their own, and the named database itself is
# never dropped), else shuzhi_bench_hall.
_URL = os.environ.get("DATABASE_URL", "")
_NAME = (
    _URL.rsplit("/", 1)[1].split("?")[0]
    if _URL.startswith(("postgres://", "postgresql://")) and _URL.count("/") >= 3
    else ""
)
DB_NAME = f"{_NAME or 'shuzhi'}_bench_hall"
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RATIO_GOAL = 0.8
P99_GOAL_MS = 150.0
PHONE_RATIO_GOAL = 0.8  # the phone flow's ballots/s against the JSON API's, same run
PHONE_P99_GOAL_MS = 300.0  # the whole flow: page, form, receipt
CLOSE_GOAL_S = 5.0  # closing and counting a 2,000-voter round (issue #10)
PAGE_GOAL_BYTES = 12 * 1024  # the ballot page on the wire, 40 reporters
WRK_THREADS = 2

# ---------------------------------------------------------------------------------------------
# Results and their reconciliation with the database (pure; unit-tested)


@dataclass
class LoadResult:
    """What the phones saw for one endpoint: statuses, receipts of 200s, time, latencies."""

    label: str
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    receipts: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    # The phone flow only: the GET of the page and the POST of the form, and the page's size.
    get_latencies: list[float] = field(default_factory=list)
    post_latencies: list[float] = field(default_factory=list)
    page_bytes: list[int] = field(default_factory=list)
    page_gzip: int = 0

    @property
    def acknowledged(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def throughput(self) -> float:
        return self.acknowledged / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000

    def add(self, outcome: dict) -> None:
        """Add one client run (``bench.hall_load``'s output): slices of a load add up."""
        for _path, status, receipt, seconds, *phone in outcome["results"]:
            self.sent += 1
            self.statuses[status] += 1
            self.latencies.append(seconds)
            if status == 200 and receipt:
                self.receipts.append(receipt)
            if phone:
                get_seconds, post_seconds, page_bytes, gzipped = phone
                self.get_latencies.append(get_seconds)
                if post_seconds:
                    self.post_latencies.append(post_seconds)
                self.page_bytes.append(page_bytes)
                self.page_gzip += bool(gzipped)
        self.elapsed += max(0.0, outcome["last"] - outcome["first"])
        self.client_cpu += outcome["cpu"]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Reconciliation:
    """Acknowledged receipts against what the database holds after the load.

    ``lost``: acknowledged ballots not stored — receipts no used code carries, plus used codes
    without a stored ballot. ``duplicated``: ballots stored more than once — receipts
    acknowledged twice, plus stored ballots beyond the used codes. ``code_mismatch``: |distinct
    ballots − used codes| (a code both unused and counted, or used and not counted).
    ``malformed``: stored ballots whose row count is not one row per reporter.
    """

    acknowledged: int
    used_codes: int
    ballots: int
    lost: int
    duplicated: int
    code_mismatch: int
    malformed: int


def reconcile(
    acknowledged: list[str],
    used_receipts: list[str],
    rows_per_ballot: list[int],
    *,
    expected_rows: int,
) -> Reconciliation:
    """Compare the receipts the client was given with the used codes' receipts and the number
    of rows of each stored ballot (one entry of ``rows_per_ballot`` per distinct ballot)."""
    stored = set(used_receipts)
    acked = set(acknowledged)
    used = len(used_receipts)
    ballots = len(rows_per_ballot)
    missing = len(acked - stored)
    lost = missing + max(0, used - ballots)
    # Receipts are 6 characters (read off a phone, typed to check): two voters of a 4,400-ballot
    # run share one about once in a hundred runs. A receipt acknowledged more often than used
    # codes carry it is a duplicate; two codes that drew the same receipt are not.
    carried = Counter(used_receipts)
    repeated = sum(max(0, n - max(carried[r], 1)) for r, n in Counter(acknowledged).items())
    duplicated = repeated + max(0, ballots - used)
    malformed = sum(1 for rows in rows_per_ballot if rows != expected_rows)
    return Reconciliation(
        acknowledged=len(acknowledged),
        used_codes=used,
        ballots=ballots,
        lost=lost,
        duplicated=duplicated,
        code_mismatch=abs(ballots - used),
        malformed=malformed,
    )


def target_line(name: str, ratio: float, goal: float, *, at_least: bool) -> str:
    ok = ratio >= goal if at_least else ratio <= goal
    return f"target {name} ratio={ratio:.2f} goal={goal} {'ok' if ok else 'short'}"


# ---------------------------------------------------------------------------------------------
# Database: create, migrate, seed, reset, read back


def server_env(database_url: str) -> dict[str, str]:
    """The production environment, pointed at the bench database and URLconf."""
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.hall_settings",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(64)),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        SHUZHI_SSL_REDIRECT="0",
        SHUZHI_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    return env


def recreate_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{PG_BASE}/{DB_NAME}"


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


@dataclass
class Hall:
    """The seeded meeting: the ballot round, the reporters on the ballot, codes by use."""

    ballot_round_id: int
    reporter_ids: list[int]
    codes: list[str]
    warmup_codes: list[str]
    scale_codes: list[str]
    phone_codes: list[str] = field(default_factory=list)
    phone_warmup_codes: list[str] = field(default_factory=list)
    item_codes: list[str] = field(default_factory=list)
    shares: list[str] = field(default_factory=list)


def split_expected(total: int, parts: int) -> list[int]:
    """``total`` voters over ``parts`` categories, as evenly as possible."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def seed(*, voters: int, reporters: int, warmup: int, sub_items: int = 0) -> Hall:
    """Create the round, session, reporters and roster directly (the benchmark needs a ready
    meeting, not the organiser's screens), then open the ballot round and issue the codes
    through the product's services, as the organiser would."""
    import datetime

    from django.db import transaction

    from shuzhi.accounts.models import Role
    from shuzhi.ballots import services
    from shuzhi.ballots.models import VoteCode
    from shuzhi.core.testing import make_unit, make_user
    from shuzhi.cycles.models import Round, RoundReporter, RoundStatus
    from shuzhi.meetings.models import ReportMode, RosterCategory, Session, SessionReporter
    from shuzhi.orgs.people.models import Person

    with transaction.atomic():
        host = make_unit("BH", "全市述职评议基准", "city")
        organiser = make_user("bench-organiser", (Role.ORGANISER, host))
        units = [
            make_unit(f"BH{i:03d}", f"第{i}街道党工委", "subdistrict", parent=host)
            for i in range(1, reporters + 1)
        ]
        people = Person.objects.bulk_create(
            Person(name=f"书记{i}", unit=unit) for i, unit in enumerate(units, start=1)
        )
        round_ = Round.objects.create(
            host=host,
            year=2025,
            title="2025年度基层党建述职评议",
            status=RoundStatus.ACTIVE,
            sub_items=[
                {"code": f"item{i}", "label": f"分项评价{i}"} for i in range(1, sub_items + 1)
            ],
        )
        round_reporters = RoundReporter.objects.bulk_create(
            RoundReporter(round=round_, unit=unit, person=person, sort_order=i)
            for i, (unit, person) in enumerate(zip(units, people, strict=True))
        )
        session = Session.objects.create(
            round=round_, title="2025年度述职评议会", date=datetime.date(2026, 1, 20)
        )
        SessionReporter.objects.bulk_create(
            SessionReporter(
                session=session,
                reporter=rr,
                position=i,
                mode=ReportMode.LIVE if i <= 5 else ReportMode.WRITTEN,
            )
            for i, rr in enumerate(round_reporters, start=1)
        )
        categories = round_.categories  # the policy defaults of shuzhi/cycles/policy.py
        expected = split_expected(voters, len(categories))
        RosterCategory.objects.bulk_create(
            RosterCategory(
                session=session,
                code=c["code"],
                label=c["label"],
                weight=c["weight"],
                expected=n,
                present=n,
                sort_order=i,
            )
            for i, (c, n) in enumerate(zip(categories, expected, strict=True))
        )
    ballot_round = services.open_round(actor=organiser, session=session)
    # One code per voter for the API and one for the phones, and the warm-up codes of both.
    spare = voters + 2 * warmup
    services.issue_codes(
        actor=organiser, ballot_round=ballot_round, margin=-(-spare // len(categories))
    )
    # Codes were created in shuffled order; hand them out in that order, categories mixed.
    codes = list(
        VoteCode.objects.filter(round=ballot_round).order_by("id").values_list("code", flat=True)
    )
    return Hall(
        ballot_round_id=ballot_round.pk,
        reporter_ids=[int(r["id"]) for r in ballot_round.reporters],
        codes=codes[:voters],
        phone_codes=codes[voters : 2 * voters],
        warmup_codes=codes[2 * voters : 2 * voters + warmup],
        phone_warmup_codes=codes[2 * voters + warmup : 2 * voters + 2 * warmup],
        scale_codes=[s["code"] for s in ballot_round.policy["scale"]],
        item_codes=[s["code"] for s in ballot_round.policy.get("sub_items", [])],
        shares=[s.share for s in ballot_round.shares],
    )


def create_bench_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_vote (code text primary key, body jsonb)")


def reset_votes(hall: Hall) -> None:
    """Forget every vote, so the next server starts from the same state; vacuum the tables."""
    from django.db import connection

    from shuzhi.ballots.models import Ballot, BallotComment, SealedBallot, VoteCode

    SealedBallot.objects.filter(round_id=hall.ballot_round_id).delete()
    Ballot.objects.filter(round_id=hall.ballot_round_id).delete()
    BallotComment.objects.filter(round_id=hall.ballot_round_id).delete()
    VoteCode.objects.filter(round_id=hall.ballot_round_id).update(used=False, nonce="", receipt="")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_vote")
        for table in (
            "ballots_sealedballot",
            "ballots_ballot",
            "ballots_votecode",
            "ballots_ballotcomment",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    connection.close()


def truncate_bench_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_vote")
    connection.close()


def stored_state(hall: Hall) -> tuple[list[str], list[int]]:
    """Receipts of the used codes, and the rating count of each stored ballot: the sealed
    ballots are opened in memory with the supervisor's share (the round stays open)."""
    from django.db import connection

    from shuzhi.ballots import counting, sealing
    from shuzhi.ballots.models import BallotRound, SealedBallot, VoteCode

    receipts = list(
        VoteCode.objects.filter(round_id=hall.ballot_round_id, used=True).values_list(
            "receipt", flat=True
        )
    )
    ballot_round = BallotRound.objects.get(pk=hall.ballot_round_id)
    opener = sealing.opener(counting.rebuild_key(ballot_round, hall.shares))
    rows = []
    for box in SealedBallot.objects.filter(round=ballot_round).values_list("box", flat=True):
        content = json.loads(sealing.unseal(opener, box))
        rows.append(len(content["r"]) + sum(len(v) for v in content["i"].values()))
    connection.close()
    return receipts, rows


def time_close(hall: Hall) -> None:
    """Close the round with the supervisor's share and time it: the close, the count of every
    sealed ballot into the tally tables, and the VACUUM after it."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from shuzhi.ballots import services
    from shuzhi.ballots.models import Ballot, BallotRound, SealedBallot

    ballot_round = BallotRound.objects.get(pk=hall.ballot_round_id)
    sealed = SealedBallot.objects.filter(round=ballot_round).count()
    organiser = get_user_model().objects.get(username="bench-organiser")
    started = time.perf_counter()
    services.close_round(actor=organiser, ballot_round=ballot_round, shares=hall.shares)
    seconds = time.perf_counter() - started
    counted = Ballot.objects.filter(round=ballot_round).count()
    connection.close()
    print(f"# close: {sealed} sealed ballots, {counted} counted")
    per_2000 = seconds * 2000 / max(sealed, 1)
    print(f"figure close_and_count_seconds {seconds:.2f} s ({sealed} ballots)")
    print(f"figure close_and_count_per_2000 {per_2000:.2f} s")
    print(target_line("close_time", per_2000 / CLOSE_GOAL_S, 1.0, at_least=False), flush=True)


def proc_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each process still alive, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    times = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        times[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return times


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots by the processes alive at the second (new ones in full)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def database_cpu() -> dict[int, float]:
    """CPU snapshot of the PostgreSQL backends serving the bench database (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    connection.close()
    return proc_cpu(pids)


def baseline_stored() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_vote")
        (count,) = cursor.fetchone()
    connection.close()
    return count


# ---------------------------------------------------------------------------------------------
# Requests and load


def ballot_body(hall: Hall, rng: random.Random) -> str:
    ratings = {
        str(rid): {"overall": rng.choice(hall.scale_codes), "items": {}}
        for rid in hall.reporter_ids
    }
    return json.dumps(
        {"nonce": secrets.token_hex(16), "ratings": ratings, "comments": {}},
        separators=(",", ":"),
    )


def form_body(hall: Hall, rng: random.Random) -> str:
    """The phone's form without its nonce: an overall grade for every reporter and, as a
    conscientious voter would, every sub-item too."""
    fields = []
    for rid in hall.reporter_ids:
        fields.append(f"o_{rid}={rng.choice(hall.scale_codes)}")
        fields += [f"i_{rid}_{item}={rng.choice(hall.scale_codes)}" for item in hall.item_codes]
    return "&".join(fields)


def write_requests(path: Path, prefix: str, codes: list[str], hall: Hall, rng: random.Random):
    with path.open("w") as out:
        for code in codes:
            if prefix == "/v/":
                out.write(f"phone\t/v/{code}/\t{form_body(hall, rng)}\n")
            else:
                out.write(f"{prefix}{code}\t{ballot_body(hall, rng)}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerSpec:
    """How to start one application server configuration."""

    name: str
    kind: str  # gunicorn | granian
    workers: int
    worker_class: str = "sync"
    threads: int = 1

    def command(self, port: int) -> list[str]:
        if self.kind == "gunicorn":
            cmd = [
                str(VENV_BIN / "gunicorn"),
                "shuzhi.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={self.workers}",
                f"--worker-class={self.worker_class}",
                "--backlog=2048",
                "--log-level=warning",
            ]
            if self.worker_class == "gthread":
                cmd.append(f"--threads={self.threads}")
            return cmd
        return [
            str(VENV_BIN / "granian"),
            "--interface=wsgi",
            "shuzhi.wsgi:application",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={self.workers}",
            f"--blocking-threads={self.threads}",
            "--no-ws",
            "--log-level=warning",
            "--respawn-failed-workers",
            "--respawn-interval=0.5",
        ]


class Server:
    """An application server subprocess on a free port; always stopped on exit."""

    def __init__(self, spec: ServerSpec, env: dict[str, str]):
        self.spec = spec
        self.env = env
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.killed: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            self.spec.command(self.port), cwd=ROOT, env=self.env, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.url + "/api/vote/READY", timeout=2)
            except urllib.error.HTTPError:
                return self  # any HTTP answer (here 404) means a worker is serving
            except OSError:
                time.sleep(0.2)
                continue
            return self
        raise RuntimeError(f"{self.spec.name} did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def worker_pids(self) -> list[int]:
        """The worker processes: the children of the server's master process."""
        assert self.proc is not None
        pid = self.proc.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def cpu(self) -> dict[int, float]:
        """CPU snapshot of the server's master and workers (not PostgreSQL's)."""
        assert self.proc is not None
        return proc_cpu([self.proc.pid, *self.worker_pids()])

    def kill_one_worker(self) -> None:
        """SIGKILL one worker, as the kernel's OOM killer or a crash would."""
        pids = self.worker_pids()
        if pids:
            victim = random.choice(pids)
            os.kill(victim, signal.SIGKILL)
            self.killed.append(victim)


def run_load(
    server: Server,
    requests_file: Path,
    *,
    concurrency: int,
    workdir: Path,
    kill_after: int | None = None,
) -> dict:
    """Post every prepared request once from a separate client process (``bench.hall_load``);
    optionally SIGKILL one worker once ``kill_after`` answers have come back."""
    out = workdir / f"{requests_file.stem}.out.json"
    client = subprocess.Popen(
        [sys.executable, "-m", "bench.hall_load", str(requests_file), "127.0.0.1",
         str(server.port), str(concurrency), str(out)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert client.stdin is not None and client.stdout is not None
    try:
        if client.stdout.readline().strip() != "ready":
            raise RuntimeError("the load client did not start")
        client.stdin.write("go\n")
        client.stdin.flush()
        for line in client.stdout:
            if kill_after is None or not line.startswith("progress "):
                continue
            if int(line.split()[1]) >= kill_after:
                server.kill_one_worker()
                kill_after = None
        if client.wait(timeout=600) != 0:
            raise RuntimeError("the load client failed")
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    return json.loads(out.read_text())


def slices(items: list[str], count: int) -> list[list[str]]:
    """``items`` cut into ``count`` consecutive, nearly equal parts."""
    sizes = split_expected(len(items), count)
    parts, start = [], 0
    for size in sizes:
        parts.append(items[start : start + size])
        start += size
    return parts


def report_load(prefix: str, result: LoadResult) -> None:
    other = {s: n for s, n in sorted(result.statuses.items()) if s != 200}
    print(
        f"# {prefix}: {result.acknowledged}/{result.sent} acknowledged in {result.elapsed:.2f} s; "
        f"other statuses {other or '-'} (0 = socket error); client CPU {result.client_cpu:.2f} s"
    )
    print(f"figure {prefix}_throughput {result.throughput:.0f} ballots/s")
    print(f"figure {prefix}_p50 {result.percentile_ms(50):.1f} ms")
    print(f"figure {prefix}_p99 {result.percentile_ms(99):.1f} ms")
    if result.acknowledged:
        per_ballot = result.server_cpu / result.acknowledged * 1000
        print(f"figure {prefix}_server_cpu {per_ballot:.2f} ms/ballot")
        per_ballot = result.database_cpu / result.acknowledged * 1000
        print(f"figure {prefix}_database_cpu {per_ballot:.2f} ms/ballot")
    if result.get_latencies:
        print(f"figure {prefix}_get_p50 {percentile(result.get_latencies, 50) * 1000:.1f} ms")
        print(f"figure {prefix}_get_p99 {percentile(result.get_latencies, 99) * 1000:.1f} ms")
        print(f"figure {prefix}_post_p50 {percentile(result.post_latencies, 50) * 1000:.1f} ms")
        print(f"figure {prefix}_post_p99 {percentile(result.post_latencies, 99) * 1000:.1f} ms")
    if result.page_bytes:
        print(f"figure {prefix}_page_bytes {page_size(result)} bytes on the wire "
              f"({result.page_gzip} of {len(result.page_bytes)} gzipped)")  # fmt: skip


def page_size(result: LoadResult) -> int:
    """The median size on the wire (head and body) of the ballot pages the phones got."""
    return int(percentile([float(n) for n in result.page_bytes], 50))


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes): the figures only mean something beside it."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------


def server_specs(choice: str, workers: int | None, threads: int | None) -> list[ServerSpec]:
    cores = os.cpu_count() or 2
    sync = ServerSpec("gunicorn-sync", "gunicorn", workers or 2 * cores + 1)
    gthread = ServerSpec(
        "gunicorn-gthread", "gunicorn", workers or cores + 1, "gthread", threads or 4
    )
    # The configuration chosen in docs/decisions/0005-application-server.md.
    granian = ServerSpec("granian", "granian", workers or cores + 1, threads=threads or 2)
    return {
        "gunicorn": [sync],
        "gthread": [gthread],
        "granian": [granian],
        "both": [sync, granian],
        "all": [sync, gthread, granian],
    }[choice]


ENDPOINTS = (
    ("orm", "/bench/orm-insert/"),
    ("raw", "/bench/raw-insert/"),
    ("shuzhi", "/api/vote/"),
    ("phone", "/v/"),
)


def bench_server(
    spec: ServerSpec, hall: Hall, env: dict[str, str], args, workdir: Path, rng: random.Random
) -> None:
    """Warm the server up, then send the hall's ballots to the four paths in turn, slice by
    slice (so background noise on the machine falls on all four alike), and reconcile."""
    parts = slices(hall.codes, args.slices)
    phone_parts = slices(hall.phone_codes, args.slices)
    files: dict[tuple[str, int], Path] = {}
    for kind, prefix in ENDPOINTS:
        files[kind, -1] = workdir / f"{kind}-warm.tsv"
        warm = hall.phone_warmup_codes if kind == "phone" else hall.warmup_codes
        write_requests(files[kind, -1], prefix, warm, hall, rng)
        for i, part in enumerate(phone_parts if kind == "phone" else parts):
            files[kind, i] = workdir / f"{kind}-{i}.tsv"
            write_requests(files[kind, i], prefix, part, hall, rng)

    reset_votes(hall)
    tag = spec.name.replace("-", "_")
    print(f"# server {spec.name}: {' '.join(spec.command(0)[1:])}", flush=True)
    print(f"# load average at the start: {load_average()}", flush=True)
    results = {kind: LoadResult(kind) for kind, _ in ENDPOINTS}
    warm_receipts: list[str] = []
    baseline_stored_total = {"orm": 0, "raw": 0}
    load = {"concurrency": args.concurrency, "workdir": workdir}
    kill_at = args.voters // 3 if args.kill_worker else None
    kill_kind = {"phone": "phone", "api": "shuzhi"}[args.kill_during]
    with Server(spec, env) as server:
        # Warm every worker on every endpoint (imports, URL resolving, connections).
        for kind, _ in ENDPOINTS:
            outcome = run_load(server, files[kind, -1], **load)
            if kind in ("shuzhi", "phone"):
                warm_receipts += [r[2] for r in outcome["results"] if r[1] == 200]
            truncate_bench_table()
        for i in range(len(parts)):
            for kind, _ in ENDPOINTS:
                kill_after = None
                if kind == kill_kind and kill_at is not None:
                    done_before = results[kind].sent
                    if done_before + len(parts[i]) > kill_at:
                        kill_after = max(0, kill_at - done_before)
                        kill_at = None
                cpu, db_cpu = server.cpu(), database_cpu()
                outcome = run_load(server, files[kind, i], kill_after=kill_after, **load)
                results[kind].server_cpu += cpu_used(cpu, server.cpu())
                results[kind].database_cpu += cpu_used(db_cpu, database_cpu())
                results[kind].add(outcome)
                if kind in baseline_stored_total:
                    baseline_stored_total[kind] += baseline_stored()
                    truncate_bench_table()
        killed = server.killed
        time.sleep(1.0 if killed else 0)  # granian respawns after --respawn-interval
        workers_at_end = len(server.worker_pids())

    orm, raw, shuzhi, phone = (results[k] for k in ("orm", "raw", "shuzhi", "phone"))
    report_load(f"vote_orm_{tag}", orm)
    report_load(f"vote_raw_{tag}", raw)
    report_load(f"vote_shuzhi_{tag}", shuzhi)
    report_load(f"vote_phone_{tag}", phone)
    print(f"# baselines stored: orm {baseline_stored_total['orm']}/{orm.acknowledged}, raw "
          f"{baseline_stored_total['raw']}/{raw.acknowledged} acknowledged")  # fmt: skip
    if killed:
        print(f"# killed worker {', '.join(map(str, killed))} during the {kill_kind} load; "
              f"{workers_at_end} of {spec.workers} workers running at the end")  # fmt: skip
    print(f"# load average at the end: {load_average()}")
    print(f"figure vote_phone_throughput {phone.throughput:.0f} ballots/s (page, form, receipt)")
    print(f"figure vote_phone_p50 {phone.percentile_ms(50):.1f} ms")
    print(f"figure vote_phone_p99 {phone.percentile_ms(99):.1f} ms")
    print(f"figure vote_shuzhi_throughput {shuzhi.throughput:.0f} ballots/s (JSON API)")
    print(f"figure vote_shuzhi_p50 {shuzhi.percentile_ms(50):.1f} ms")
    print(f"figure vote_shuzhi_p99 {shuzhi.percentile_ms(99):.1f} ms")
    phone_ratio = phone.throughput / shuzhi.throughput if shuzhi.throughput else 0.0
    print(target_line("phone_vs_api", phone_ratio, PHONE_RATIO_GOAL, at_least=True))
    print(
        target_line(
            "phone_flow_p99", phone.percentile_ms(99) / PHONE_P99_GOAL_MS, 1.0, at_least=False
        )
    )
    if phone.page_bytes:
        print(target_line("phone_page_bytes", page_size(phone) / PAGE_GOAL_BYTES, 1.0,
                          at_least=False))  # fmt: skip
    ratio = shuzhi.throughput / orm.throughput if orm.throughput else 0.0
    print(target_line("vote_vs_orm", ratio, RATIO_GOAL, at_least=True))
    print(target_line("vote_p99", shuzhi.percentile_ms(99) / P99_GOAL_MS, 1.0, at_least=False))

    used_receipts, rows = stored_state(hall)
    acknowledged = warm_receipts + shuzhi.receipts + phone.receipts
    result = reconcile(acknowledged, used_receipts, rows, expected_rows=len(hall.reporter_ids))
    stored = set(used_receipts)
    for kind, load_result in (("api", shuzhi), ("phone", phone)):
        missing = sum(1 for r in load_result.receipts if r not in stored)
        print(f"# {kind}: {len(load_result.receipts)} acknowledged, {missing} not stored")
    prefix = "vote_after_kill" if args.kill_worker else "vote"
    print(f"# {result.acknowledged} acknowledged (with the warm-up), {result.used_codes} used "
          f"codes, {result.ballots} stored ballots")  # fmt: skip
    print(f"figure {prefix}_lost {result.lost}")
    print(f"figure {prefix}_duplicated {result.duplicated}")
    print(f"figure {prefix}_code_mismatch {result.code_mismatch}")
    print(f"figure {prefix}_malformed {result.malformed}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--reporters", type=int, default=40)
    parser.add_argument("--sub-items", type=int, default=0, help="sub-items per reporter")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--server", choices=["gunicorn", "gthread", "granian", "both", "all"], default="gunicorn"
    )
    parser.add_argument("--workers", type=int, help="worker processes (default: per server)")
    parser.add_argument("--threads", type=int, help="gthread threads / granian blocking threads")
    parser.add_argument("--slices", type=int, default=4, help="interleave the endpoints")
    parser.add_argument("--warmup", type=int, default=200, help="spare codes to warm up with")
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL a worker mid-load")
    parser.add_argument(
        "--kill-during", choices=["phone", "api"], default="phone", help="whose load to kill in"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)

    database_url = recreate_database()
    env = server_env(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    import django

    django.setup()
    rng = random.Random(2000)
    create_bench_table()
    hall = seed(
        voters=args.voters, reporters=args.reporters, warmup=args.warmup, sub_items=args.sub_items
    )
    workdir = Path(tempfile.mkdtemp(prefix="shuzhi-bench-hall-"))
    try:
        for spec in server_specs(args.server, args.workers, args.threads):
            bench_server(spec, hall, env, args, workdir, rng)
        time_close(hall)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep_db:
            drop_database()


if __name__ == "__main__":
    main()
