"""The hall's phones: post prepared ballots over keep-alive HTTP/1.1 connections, one at a time
per connection, and record every answer.

    python -m bench.hall_load REQUESTS HOST PORT CONCURRENCY OUT.json

``REQUESTS`` has one ``path<TAB>json-body`` line per ballot; each is posted exactly once (no
retry: an unanswered ballot is simply not acknowledged). ``OUT.json`` receives, per request,
``[path, status, receipt, seconds]`` (status 0 for a socket error), the first send and last
answer on the monotonic clock, and the client's own CPU time. ``progress N`` lines on stdout
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
from pathlib import Path

RECEIPT = re.compile(rb'"receipt"\s*:\s*"([^"]*)"')
PROGRESS_EVERY = 50


def build_requests(lines: list[str], host: str, port: int) -> list[tuple[str, bytes]]:
    requests = []
    for line in lines:
        path, _, body = line.rstrip("\n").partition("\t")
        payload = body.encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        requests.append((path, head + payload))
    return requests


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server keeps the connection open."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    keep_alive = lines[0].startswith(b"HTTP/1.1")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep_alive = value.strip().lower() != b"close"
    return status, length, keep_alive


async def run(requests: list[tuple[str, bytes]], host: str, port: int, concurrency: int) -> dict:
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
            assert reader is not None
            started = time.monotonic()
            first = min(first, started)
            try:
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                status, length, keep_alive = parse_head(head)
                body = await reader.readexactly(length) if length else b""
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                results[index] = [path, 0, "", time.monotonic() - started]
                writer.close()
                reader = writer = None
                continue
            ended = time.monotonic()
            last = max(last, ended)
            match = RECEIPT.search(body) if status == 200 else None
            results[index] = [
                path,
                status,
                match.group(1).decode() if match else "",
                ended - started,
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
