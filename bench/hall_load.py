"""The hall's phones: post prepared ballots over keep-alive HTTP/1.1 connections, one at a time
per connection, and record every answer.

    python -m bench.hall_load REQUESTS HOST PORT CONCURRENCY OUT.json

``REQUESTS`` has one line per ballot, either ``path<TAB>json-body`` (the vote API and the
baselines: one JSON POST) or ``phone<TAB>/v/CODE/<TAB>form-body`` (what a phone does: GET the
ballot page with ``Accept-Encoding: gzip``, take the nonce out of the page, POST the form with
it, read the receipt off the answer page). Each ballot is sent exactly once (no retry: an
unanswered ballot is simply not acknowledged). ``OUT.json`` receives, per ballot,
``[path, status, receipt, seconds]`` (status 0 for a socket error; for a phone the status of
the POST, or of the GET when that failed, and the seconds of the whole flow) followed, for a
phone, by ``get_seconds, post_seconds, page_bytes, page_gzip`` (the page's size on the wire:
head and body as sent), the first send and last answer on the monotonic clock, and the
client's own CPU time. ``progress N`` lines on stdout
let the harness act mid-load (kill a worker). A server that closes the connection after each
answer (gunicorn's sync workers) is reconnected before the next ballot.

Its own process, with asyncio and no parsing beyond the status line, Content-Length and the
receipt, so it costs the server only a small share of a 2-core machine (the harness prints
its CPU time). Debian's ``wrk`` was the first choice but drops a dynamic request whenever it
reconnects after ``Connection: close``, which loses ballots against sync workers.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

RECEIPT = re.compile(rb'"receipt"\s*:\s*"([^"]*)"')
PAGE_RECEIPT = re.compile(rb'id="receipt">\s*([0-9A-Z]+)\s*<')
NONCE = re.compile(rb'name="nonce" value="([^"]*)"')
PROGRESS_EVERY = 50
# What a phone's browser sends besides the essentials (WeChat's is longer still).
PHONE_HEADERS = (
    "User-Agent: Mozilla/5.0 (Linux; Android 10) AppleWebKit/537.36 Mobile MicroMessenger\r\n"
    "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
    "Accept-Language: zh-CN,zh;q=0.9\r\n"
)


@dataclass
class Phone:
    """One phone's flow: GET the page, then POST ``form`` (without the nonce) to the same URL."""

    path: str
    get: bytes
    form: str
    host: str


def build_requests(lines: list[str], host: str, port: int) -> list[tuple[str, bytes | Phone]]:
    requests: list[tuple[str, bytes | Phone]] = []
    for line in lines:
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "phone":
            path, form = fields[1], fields[2]
            get = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{PHONE_HEADERS}\r\n"
            requests.append((path, Phone(path, get.encode(), form, f"{host}:{port}")))
            continue
        path, body = fields[0], "\t".join(fields[1:])
        payload = body.encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        requests.append((path, head + payload))
    return requests


def phone_post(phone: Phone, nonce: str) -> bytes:
    """The form POST of a phone, with the nonce the page gave it."""
    payload = f"nonce={nonce}&{phone.form}".encode()
    return (
        f"POST {phone.path} HTTP/1.1\r\nHost: {phone.host}\r\n{PHONE_HEADERS}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server keeps the connection open."""
    status, length, keep_alive, _gzip = parse_head_full(head)
    return status, length, keep_alive


def parse_head_full(head: bytes) -> tuple[int, int, bool, bool]:
    """Status, Content-Length (-1 when chunked), keep-alive, and whether the body is gzipped."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    keep_alive = lines[0].startswith(b"HTTP/1.1")
    gzipped = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep_alive = value.strip().lower() != b"close"
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            length = -1
        elif name == b"content-encoding":
            gzipped = value.strip().lower() == b"gzip"
    return status, length, keep_alive, gzipped


async def read_body(reader: asyncio.StreamReader, length: int) -> bytes:
    """The body of Content-Length ``length``, or of a chunked answer (``length`` -1)."""
    if length >= 0:
        return await reader.readexactly(length) if length else b""
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def page_text(body: bytes, gzipped: bool) -> bytes:
    return zlib.decompress(body, 31) if gzipped else body


async def run(
    requests: list[tuple[str, bytes | Phone]], host: str, port: int, concurrency: int
) -> dict:
    results: list[list] = [[] for _ in requests]
    cursor = 0
    done = 0
    first = float("inf")
    last = 0.0

    async def connection() -> None:
        nonlocal cursor, done, first, last
        reader = writer = None
        while cursor < len(requests):
            index = cursor
            cursor += 1
            path, raw = requests[index]
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                except OSError:
                    results[index] = [path, 0, "", 0.0]
                    continue
            assert reader is not None and writer is not None
            started = time.monotonic()
            first = min(first, started)
            extra: list = []
            try:
                if isinstance(raw, Phone):
                    writer.write(raw.get)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status, length, keep_alive, gzipped = parse_head_full(head)
                    body = await read_body(reader, length)
                    got = time.monotonic()
                    extra = [got - started, 0.0, len(head) + len(body), gzipped]
                    nonce = NONCE.search(page_text(body, gzipped)) if status == 200 else None
                    if nonce is not None:
                        if not keep_alive:
                            writer.close()
                            reader, writer = await asyncio.open_connection(host, port)
                        writer.write(phone_post(raw, nonce.group(1).decode()))
                        head = await reader.readuntil(b"\r\n\r\n")
                        status, length, keep_alive, gzipped = parse_head_full(head)
                        body = page_text(await read_body(reader, length), gzipped)
                        extra[1] = time.monotonic() - got
                    elif status == 200:
                        status = 599  # a page without a nonce: no ballot can be cast
                    pattern = PAGE_RECEIPT
                else:
                    writer.write(raw)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status, length, keep_alive, _gzipped = parse_head_full(head)
                    body = await read_body(reader, length)
                    pattern = RECEIPT
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
                zlib.error,
            ):
                results[index] = [path, 0, "", time.monotonic() - started, *extra]
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            ended = time.monotonic()
            last = max(last, ended)
            match = pattern.search(body) if status == 200 else None
            results[index] = [
                path,
                status,
                match.group(1).decode() if match else "",
                ended - started,
                *extra,
            ]
            done += 1
            if done % PROGRESS_EVERY == 0:
                print(f"progress {done}", flush=True)
            if not keep_alive:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "results": results,
        "first": first if first != float("inf") else 0.0,
        "last": last,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    requests_file, host, port, concurrency, out = args
    lines = Path(requests_file).read_text().splitlines()
    requests = build_requests(lines, host, int(port))
    print("ready", flush=True)
    sys.stdin.readline()  # the harness says go, so start-up is not timed
    outcome = asyncio.run(run(requests, host, int(port), int(concurrency)))
    Path(out).write_text(json.dumps(outcome))
    print("done", flush=True)


if __name__ == "__main__":
    main()
