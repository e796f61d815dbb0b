"""Benchmark: one large upload through the real source interface against plain `gpg --encrypt`.

Starts a throwaway instance (`sealdrop init` + `sealdrop serve source`, one worker) on
127.0.0.1, creates a source over HTTP, streams a file of random bytes to POST /submit, and compares
the wall time with the gpg command line encrypting the same file to the same key. It also samples
the worker's memory, watches its open files for plaintext spooled to disk, and checks that the
stored submission decrypts and gunzips to the input. Figures only: the exit status is non-zero
only when the upload failed or the stored content differed.

    .venv/bin/python bench/upload.py --size 50M
    .venv/bin/python bench/upload.py --size 2G --runs 2
    .venv/bin/python bench/upload.py --keys 5       # encrypted to 5 reader keys at once
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from baselines import gpg_baselines, verify_stored, write_random_file
from instance import Instance, RunningServer, create_instance, start_source, stop_agents
from profiling import start_profiler, summarise_profile
from reader_keys import add_reader_keys, stop_reader_agents
from report import Run, megabytes, print_report
from source_client import UPLOADS, SourceClient, client_cpu
from worker_watch import Sampler, cpu_seconds, reset_hwm, status_kb

SIZE_PATTERN = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?)(b?)\s*$", re.IGNORECASE)
STORED_GLOB = "*/*-doc.gz.gpg"


def parse_size(text: str) -> int:
    """`500000000`, `50M`, `2G`, `1.5GB` (powers of 10) or `512MiB` (powers of 2) -> bytes."""
    match = SIZE_PATTERN.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 50M, 500MB, 2G, 512MiB)")
    number, unit, binary, _ = match.groups()
    exponent = " kmgt".index(unit.lower() or " ")
    size = int(float(number) * (1024 if binary else 1000) ** exponent)
    if size <= 0:
        raise argparse.ArgumentTypeError("the size must be at least one byte")
    return size


@dataclass(frozen=True)
class Bench:
    """What every run shares: the options, the instance and its worker, a source, the input."""

    args: argparse.Namespace
    base: Path
    instance: Instance
    server: RunningServer
    worker: int
    client: SourceClient
    sample: Path
    expected_sha: str
    # The reader whose key opens what is stored: the last one added, so with --keys N > 1 the
    # check proves that a key other than the first opens every upload.
    verifier: Path


def benchmark(args: argparse.Namespace, base: Path) -> int:
    instance = create_instance(base, args.size)
    extra = add_reader_keys(instance, base, args.keys - 1)
    print(f"{args.keys} reader key(s): every upload is encrypted once, to all of them")
    sample = base / "upload.bin"
    started = time.perf_counter()
    expected_sha = write_random_file(sample, args.size)
    print(
        f"wrote {megabytes(args.size):,.0f} MB of random bytes in "
        f"{time.perf_counter() - started:.1f} s; sha256 {expected_sha[:16]}..."
    )

    server = start_source(instance.env, base, log_name="gunicorn.log")
    try:
        worker = server.worker()
        client = SourceClient(server.port)
        client.create_source()
        print(
            f"gunicorn arbiter {server.process.pid}, worker {worker}, port {server.port}; "
            "source created"
        )
        verifier = extra[-1] if extra else instance.reader_home
        bench = Bench(args, base, instance, server, worker, client, sample, expected_sha, verifier)
        runs = run_all(bench)
    finally:
        server.stop()
        stop_agents(instance)
        stop_reader_agents(extra)

    print_report(runs, args.client, server.log_path)
    if args.profile:
        summarise_profile(base / "profile.txt")
    return 1 if any(r.verified != "ok" for r in runs) else 0


def run_all(bench: Bench) -> list[Run]:
    runs: list[Run] = []
    for number in range(1, bench.args.runs + 1):
        run = one_run(bench, number)
        runs.append(run)
        if run.verified != "ok" and not bench.args.keep_going:
            break
    return runs


def one_run(bench: Bench, number: int) -> Run:
    """The upload, then the gpg baselines on the same file, then a check of what was stored."""
    csrf = bench.client.csrf_token()
    before = set(bench.instance.store.glob(STORED_GLOB))
    run = watched_upload(bench, csrf, profile=bench.args.profile if number == 1 else 0)
    print(f"run {number}: upload {run.upload.detail} in {run.upload.seconds:.2f} s")

    gpg_default = gpg_plain = None
    if not bench.args.no_baseline:
        gpg_default, gpg_plain = gpg_baselines(
            bench.instance.reader_home, bench.instance.fingerprint, bench.sample
        )
    verified = "failed"
    if run.upload.ok:
        new = sorted(set(bench.instance.store.glob(STORED_GLOB)) - before)
        verified = verify_stored(
            bench.verifier,
            new,
            bench.expected_sha,
            number,
            keep=bench.args.keep_temp,
        )
    return dataclasses.replace(run, gpg_default=gpg_default, gpg_plain=gpg_plain, verified=verified)


def watched_upload(bench: Bench, csrf: str, *, profile: int) -> Run:
    """One upload with the worker's memory, CPU and open files measured around it, nothing else."""
    worker = bench.worker
    rss_before = status_kb(worker, "VmRSS")
    hwm_before = status_kb(worker, "VmHWM")
    hwm_was_reset = reset_hwm(worker)
    cpu_before = cpu_seconds(worker)
    client_before = client_cpu()
    sampler = Sampler(worker, bench.instance.data_dir, [bench.server.log_path])
    sampler.start()
    profiler = start_profiler(worker, profile, bench.base / "profile.txt") if profile else None
    result = UPLOADS[bench.args.client](bench.client, bench.sample, csrf)
    client_used = client_cpu() - client_before
    watch = sampler.stop()
    cpu_after = cpu_seconds(worker)
    hwm = status_kb(worker, "VmHWM")
    if profiler is not None:
        profiler.wait()
    return Run(
        size=bench.args.size,
        upload=result,
        watch=watch,
        rss_before_kb=rss_before,
        hwm_before_kb=hwm_before,
        hwm_kb=hwm,
        hwm_was_reset=hwm_was_reset,
        client_cpu=client_used,
        worker_cpu=cpu_after[0] - cpu_before[0],
        gpg_cpu=cpu_after[1] - cpu_before[1],
        gpg_default=None,
        gpg_plain=None,
        verified="failed",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size",
        type=parse_size,
        default=500_000_000,
        help="bytes to upload: 500000000 (default), 50M, 2G, 512MiB",
    )
    parser.add_argument("--runs", type=int, default=1, help="uploads in a row (default 1)")
    parser.add_argument(
        "--keys", type=int, default=1, help="active reader keys to encrypt to (default 1)"
    )
    parser.add_argument(
        "--client",
        choices=["python", "curl"],
        default="python",
        help="http.client with a streamed body (default) or curl -F",
    )
    parser.add_argument(
        "--keep-going", action="store_true", help="carry on with the next run after a failed one"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the gpg baselines")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="SECONDS",
        default=0,
        help="record the worker with py-spy for SECONDS during the first upload",
    )
    parser.add_argument(
        "--keep-temp",
        action="store_true",
        help="leave the temp dir (keys, data, submissions) for inspection",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.keys < 1:
        parser.error("--keys must be at least 1")
    if args.client == "curl" and not shutil.which("curl"):
        parser.error("curl is not installed")
    temp_root = Path("/tmp")  # noqa: S108 - a short path: gpg-agent sockets need one
    free = shutil.disk_usage(temp_root).free
    if free < 3 * args.size:
        parser.error(f"{temp_root} has {free:,} bytes free; the run needs ~3x --size")
    base = Path(tempfile.mkdtemp(prefix="sdb", dir=temp_root))
    try:
        return benchmark(args, base)
    finally:
        if args.keep_temp:
            print(f"\nkept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
