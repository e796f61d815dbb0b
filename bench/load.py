"""Benchmark: the source interface under hostile load, then under a burst of honest submissions.

Starts a throwaway instance (`sealdrop init` + `sealdrop serve source`, the default 2 workers) on
127.0.0.1 and prints figures, never asserts:

1. the landing page's latency with no load (p50/p99);
2. with N slow uploads open at once (1 KB/s each, asyncio), the landing page's latency, whether a
   normal 1 MB submission gets through meanwhile (retrying after a 503 as a person would), the
   workers' peak memory, and how the slow uploads ended: 503, cut by the server, or still open;
3. a burst of 200 submissions at once (message + 1 MB file, from 50 sources), each retried after
   a 503: how many landed, that none was lost, and whether `sealdrop check` agrees.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --slow 500 --slow-seconds 75 --burst 200
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from instance import RunningServer, create_instance, start_source, stop_agents
from source_client import SourceClient, submit_path
from worker_watch import children, status_kb

MB = 1_000_000
RETRY_SECONDS = 1.0  # the bench's own pause after a 503; a browser would honour Retry-After


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def page_latencies(port: int, stop: threading.Event | None, count: int = 200) -> list[float]:
    """GET / on a fresh connection, again and again: `count` times, or until `stop` is set."""
    seconds: list[float] = []
    while (stop is None and len(seconds) < count) or (stop is not None and not stop.is_set()):
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            seconds.append(time.perf_counter() - started)
        except (OSError, http.client.HTTPException):
            seconds.append(float("inf"))
        if stop is not None:
            time.sleep(0.05)
    return seconds


def describe(label: str, seconds: list[float]) -> None:
    failed = sum(1 for s in seconds if s == float("inf"))
    print(
        f"{label}: {len(seconds)} GET /, p50 {percentile(seconds, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(seconds, 0.99) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms, "
        f"failed {failed}"
    )


def submission(client: SourceClient, csrf: str, message: str, size: int) -> tuple[bytes, bytes]:
    boundary = "bench-" + secrets.token_hex(12)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n{message}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + secrets.token_bytes(size)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST {submit_path(csrf)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: sd_session={client.cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body


def submit(client: SourceClient, csrf: str, message: str, size: int, give_up: float) -> list[int]:
    """One submission, sent again after each 503 until `give_up` seconds: every status seen."""
    head, body = submission(client, csrf, message, size)
    statuses: list[int] = []
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=120)
        try:
            conn.connect()
            assert conn.sock is not None
            conn.sock.sendall(head)
            conn.sock.sendall(body)
            response = http.client.HTTPResponse(conn.sock, method="POST")
            response.begin()
            response.read()
            statuses.append(response.status)
        except (OSError, http.client.HTTPException):
            statuses.append(0)
        finally:
            conn.close()
        if statuses[-1] != 503:
            break
        time.sleep(RETRY_SECONDS * (0.5 + secrets.randbelow(1000) / 1000))
    return statuses


@dataclass
class SlowOutcome:
    refused: int = 0  # 503 at once
    other_answer: int = 0
    cut: int = 0  # closed by the server without an answer
    still_open: int = 0
    failed_to_connect: int = 0


async def slow_upload(client: SourceClient, csrf: str, seconds: float, out: SlowOutcome) -> None:
    """Send the head of an upload, then 1 KB a second, until the server answers or closes."""
    head, body = submission(client, csrf, "slow", int(seconds * 1000) + 10_000)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    except OSError:
        out.failed_to_connect += 1
        return
    try:
        writer.write(head)
        sent, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                answer = await asyncio.wait_for(reader.read(64), 1.0)
            except TimeoutError:
                writer.write(body[sent : sent + 1000])
                sent += 1000
                continue
            if answer.startswith(b"HTTP/1.1 503"):
                out.refused += 1
            elif answer:
                out.other_answer += 1
            else:
                out.cut += 1
            return
        out.still_open += 1
    except OSError:
        out.cut += 1
    finally:
        writer.close()


async def slow_client(
    client: SourceClient, csrf: str, seconds: float, out: SlowOutcome, *, reconnect: bool
) -> None:
    """One slow upload; with `reconnect`, a new one after each refusal or cut, as an attacker
    holding connections open would do, until the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        await slow_upload(client, csrf, deadline - time.monotonic(), out)
        if not reconnect or time.monotonic() > deadline - 1:
            return
        await asyncio.sleep(0.5)


def workers_of(server: RunningServer) -> list[int]:
    return children(server.process.pid)


def slow_phase(
    server: RunningServer,
    sources: list[tuple[SourceClient, str]],
    count: int,
    seconds: float,
    *,
    reconnect: bool,
) -> None:
    again = ", each reconnecting after a refusal or a cut" if reconnect else ""
    print(f"\n== {count} slow uploads at 1 KB/s for up to {seconds:.0f} s{again} ==")
    workers = workers_of(server)
    rss_before = {pid: status_kb(pid, "VmRSS") for pid in workers}
    peak = dict(rss_before)
    stop = threading.Event()
    latencies: list[float] = []
    normal: list[int] = []
    outcome = SlowOutcome()

    def watch_memory() -> None:
        while not stop.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], status_kb(pid, "VmRSS"))
            time.sleep(0.2)

    def normal_submission() -> None:
        time.sleep(5)  # once the slow uploads hold every slot they can
        client, csrf = sources[0]
        started = time.monotonic()
        normal.extend(submit(client, csrf, "normal", MB, give_up=seconds))
        normal.append(int(time.monotonic() - started))

    async def all_slow() -> None:
        await asyncio.gather(
            *(
                slow_client(*sources[i % len(sources)], seconds, outcome, reconnect=reconnect)
                for i in range(count)
            )
        )

    threads = [
        threading.Thread(target=lambda: latencies.extend(page_latencies(server.port, stop))),
        threading.Thread(target=watch_memory),
        threading.Thread(target=normal_submission),
    ]
    for thread in threads:
        thread.start()
    asyncio.run(all_slow())
    stop.set()
    for thread in threads:
        thread.join()
    describe("landing page with the slow uploads open", latencies)
    *statuses, waited = normal or [0]
    print(
        f"normal 1 MB submission meanwhile: statuses {statuses} (302 = stored), "
        f"done {waited} s after its first try"
    )
    for pid in workers:
        print(
            f"worker {pid}: RSS {rss_before[pid] / 1024:.1f} MiB before, "
            f"peak {peak[pid] / 1024:.1f} MiB"
        )
    print(
        f"slow upload attempts: {outcome.refused} got 503 at once, "
        f"{outcome.cut} cut by the server, "
        f"{outcome.still_open} still open at the end, {outcome.other_answer} other answers, "
        f"{outcome.failed_to_connect} could not connect"
    )


def burst_phase(
    data_dir: Path, env: dict[str, str], sources: list[tuple[SourceClient, str]], count: int
) -> None:
    print(
        f"\n== burst: {count} submissions at once (message + 1 MB file), {len(sources)} sources =="
    )
    store = data_dir / "store"
    before = len(list(store.glob("*/*-doc.gz.gpg")))
    started = time.perf_counter()

    def one(number: int) -> list[int]:
        client, csrf = sources[number % len(sources)]
        return submit(client, csrf, f"burst {number}", MB, give_up=300)

    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(one, range(count)))
    seconds = time.perf_counter() - started
    finals = Counter(statuses[-1] for statuses in results)
    first = Counter(statuses[0] for statuses in results)
    refusals = sum(statuses.count(503) for statuses in results)
    landed = len(list(store.glob("*/*-doc.gz.gpg"))) - before
    print(
        f"{finals[302]} accepted (302) in {seconds:.1f} s; first answers {dict(first)}; "
        f"{refusals} answers of 503 along the way, then retried"
    )
    print(
        f"files stored: {landed}; lost (accepted but not stored): {finals[302] - landed}; "
        f"staged leftovers: {len(list(store.glob('*/.*.part')))}"
    )
    done = subprocess.run(
        [sys.executable, "-m", "sealdrop.cli", "check"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"sealdrop check: {done.stdout.strip().splitlines()[-1]} (exit {done.returncode})")


def run(args: argparse.Namespace, base: Path) -> None:
    instance = create_instance(base, MB)
    env = {**instance.env, "SEALDROP_SOURCE_WORKERS": str(args.workers)}
    server = start_source(env, base, log_name="gunicorn.log")
    try:
        sources = []
        for _ in range(args.sources):
            client = SourceClient(server.port)
            client.create_source()
            sources.append((client, client.csrf_token()))
        print(
            f"gunicorn {server.process.pid}, workers {workers_of(server)}, port {server.port}; "
            f"{len(sources)} sources created"
        )
        describe("\nbaseline, no load", page_latencies(server.port, None))
        slow_phase(server, sources, args.slow, args.slow_seconds, reconnect=args.reconnect)
        burst_phase(instance.data_dir, env, sources, args.burst)
    finally:
        server.stop()
        stop_agents(instance)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=500, help="slow uploads at once (500)")
    parser.add_argument("--slow-seconds", type=float, default=75, help="their time (75 s)")
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="slow clients open a new upload after each refusal or cut",
    )
    parser.add_argument("--burst", type=int, default=200, help="submissions at once (200)")
    parser.add_argument("--sources", type=int, default=50, help="sources sending them (50)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    args = parser.parse_args(argv)
    # One socket per slow upload, in this process too.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    temp_root = Path("/tmp")  # noqa: S108 - a short path: gpg-agent sockets need one
    base = Path(tempfile.mkdtemp(prefix="sdl", dir=temp_root))
    try:
        run(args, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
