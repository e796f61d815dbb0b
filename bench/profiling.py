"""Optional py-spy recording of the worker, summarised by thread, leaf frame and inclusive frame."""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path


def start_profiler(worker: int, seconds: int, output: Path) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(binary).exists():
        print("py-spy not found: no profile (pip install py-spy into the venv)")
        return None
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(worker),
            "--duration",
            str(seconds),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
            "--threads",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def summarise_profile(path: Path, top: int = 12) -> None:
    """Self time by leaf frame, and inclusive time by frame, from py-spy's collapsed stacks."""
    if not path.exists():
        print("py-spy wrote no profile")
        return
    leaf: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        leaf[frames[-1]] += count
        for frame in set(frames[1:]):
            inclusive[frame] += count
    if not total:
        print("py-spy recorded no samples")
        return
    print(f"\npy-spy: {total} samples (all threads, on-CPU only)")
    for title, counter in (("threads", threads), ("self (leaf)", leaf), ("inclusive", inclusive)):
        print(f"  top {title}:")
        for frame, count in counter.most_common(top):
            print(f"    {100 * count / total:5.1f}%  {frame}")
