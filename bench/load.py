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
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from instance import RunningServer, create_instance, start_source, stop_agents
from load_clients import MB, SlowOutcome, slow_client, submit
from source_client import SourceClient
from worker_watch import children, status_kb


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
