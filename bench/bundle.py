"""Benchmark: streaming a bundle against simply reading the same files from disk.

Makes `--items` small files of random bytes (sizes drawn up to `--item-size`) and one sparse
file of `--large` bytes, then times, each in a fresh child process so its peak RSS is its own:
reading every file in 1 MiB chunks (the baseline), streaming the bundle of them to /dev/null
(what a web response costs the server) and, once the bundle is written to a file, the reader's
verify() of it. Figures only: the exit status is non-zero only when the reader refused the bundle.

    .venv/bin/python bench/bundle.py                         # 1,000 items and a 2 GB file
    .venv/bin/python bench/bundle.py --items 100 --large 200M   # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from upload import parse_size

from sealdrop.bundle.format import CHUNK_BYTES
from sealdrop.bundle.reader import open_bundle
from sealdrop.bundle.writer import BundleItem, stream_bundle
from sealdrop.domain import designations
from sealdrop.domain.items import Kind

PHASES = ("read", "stream", "verify")
SOURCES = 50


def make_items(directory: Path, count: int, item_size: int, large: int) -> list[BundleItem]:
    """`count` small random files over SOURCES sources, then the large sparse one."""
    rng = random.Random(1)  # noqa: S311 -- sizes and names only, nothing secret
    sources = [
        (designations.draw(rng), str(uuid.UUID(int=rng.getrandbits(128)))) for _ in range(SOURCES)
    ]
    counters = dict.fromkeys(range(SOURCES), 0)
    items = []
    for n in range(count + 1):
        which = n % SOURCES
        counters[which] += 1
        stored = directory / f"{n}.gpg"
        if n < count:
            stored.write_bytes(os.urandom(rng.randint(1, item_size)))
        else:
            with stored.open("wb") as handle:  # sparse: costs no disk, reads as fast as RAM
                handle.truncate(large)
        designation, source_uuid = sources[which]
        kind = Kind.FILE if n == count else rng.choice(list(Kind))
        items.append(
            BundleItem(designation, source_uuid, str(uuid.uuid4()), kind, counters[which], stored)
        )
    return items


def phase(name: str, items: Sequence[BundleItem], bundle: Path) -> dict[str, float]:
    """One measured phase, run in this (child) process."""
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    total = 0
    if name == "read":
        for item in items:
            with item.stored.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    total += len(chunk)
    elif name == "stream":
        with Path(os.devnull).open("wb") as sink:
            for chunk in stream_bundle(items, instance="Bench", created=dt.date.today()):
                total += len(chunk)
                sink.write(chunk)
    else:
        with open_bundle(bundle) as opened:
            opened.verify()
            total = sum(entry.size for entry in opened.entries)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "bytes": total,
        "rss_before_mb": before_kb / 1024,
        "peak_rss_mb": peak_kb / 1024,
    }


def child(name: str, work: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--work", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout)
    return result


def benchmark(args: argparse.Namespace, work: Path) -> int:
    items = make_items(work / "store", args.items, args.item_size, args.large)
    (work / "items.json").write_text(
        json.dumps([{**vars(i), "kind": i.kind.value, "stored": str(i.stored)} for i in items])
    )
    with (work / "bundle.zip").open("wb") as out:
        for chunk in stream_bundle(items, instance="Bench", created=dt.date.today()):
            out.write(chunk)
    child("read", work)  # warm the page cache, so both sides read from memory
    results = {name: child(name, work) for name in PHASES}
    base = results["read"]
    print(f"{args.items} items up to {args.item_size:,} B and one of {args.large:,} B (sparse)")
    print(f"{'phase':<8} {'seconds':>8} {'MB/s':>8} {'x read':>7} {'RSS before':>11} {'peak':>7}")
    for name, figures in results.items():
        rate = figures["bytes"] / figures["seconds"] / 1e6
        print(
            f"{name:<8} {figures['seconds']:>8.2f} {rate:>8.0f} "
            f"{figures['seconds'] / base['seconds']:>7.2f} {figures['rss_before_mb']:>11.1f} "
            f"{figures['peak_rss_mb']:>7.1f}"
        )
    overhead = (work / "bundle.zip").stat().st_size - base["bytes"]
    print("RSS in MB: before = the interpreter with its imports, peak = after the phase")
    print(f"bundle: {(work / 'bundle.zip').stat().st_size:,} B, zip and manifest {overhead:,} B")
    return 0


def load_items(work: Path) -> list[BundleItem]:
    rows = json.loads((work / "items.json").read_text())
    return [BundleItem(**{**r, "kind": Kind(r["kind"]), "stored": Path(r["stored"])}) for r in rows]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000, help="small files (default 1000)")
    parser.add_argument(
        "--item-size", type=parse_size, default=parse_size("64K"), help="largest small file"
    )
    parser.add_argument("--large", type=parse_size, default=parse_size("2G"), help="large file")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(phase(args.phase, load_items(args.work), args.work / "bundle.zip")))
        return 0
    work = Path(tempfile.mkdtemp(prefix="sealdrop-bench-bundle-"))
    try:
        (work / "store").mkdir()
        return benchmark(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
