"""Reading the worker from /proc: its memory, CPU and children, and a sampler of its open files."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GUNICORN_HEARTBEAT = re.compile(r"/wgunicorn-[^/]*$")


def status_kb(pid: int, key: str) -> int:
    """A `VmRSS`/`VmHWM` line of /proc/<pid>/status, in kB (0 if the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Direct children of every thread of `pid` (the workers start gpg from their app threads)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def descendants(pid: int) -> list[int]:
    result, todo = [], children(pid)
    while todo:
        child = todo.pop()
        result.append(child)
        todo.extend(children(child))
    return result


def reset_hwm(pid: int) -> bool:
    """Reset VmHWM to the current RSS (`5` into clear_refs, Linux >= 4.0, needs ptrace rights)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def comm(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return "?"


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own user+sys, reaped children's user+sys) of `pid`, in seconds."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        return own, reaped
    return 0.0, 0.0


@dataclass
class OpenFile:
    pid: int
    process: str
    target: str
    max_size: int = 0


@dataclass
class Watch:
    """What the sampler saw: peak RSS of the worker and its gpg children, and files it held open."""

    worker_rss_kb: int = 0
    child_rss_kb: int = 0
    samples: int = 0
    suspects: dict[tuple[int, str], OpenFile] = field(default_factory=dict)
    heartbeat: dict[tuple[int, str], OpenFile] = field(default_factory=dict)
    expected: dict[tuple[int, str], OpenFile] = field(default_factory=dict)


class Sampler(threading.Thread):
    """Every 50 ms: VmRSS of the worker and its descendants, and a scan of their fd tables.

    A file counts as suspect when it is "(deleted)" or lies in the temp directory outside the
    instance's data directory. Files inside the data directory (the SQLite database and its
    journal, the staged ciphertext `.part`) and this script's gunicorn log are listed as
    expected; gunicorn's empty unlinked heartbeat file (`wgunicorn-*`) is listed apart unless it
    ever holds data.
    """

    def __init__(self, worker: int, data_dir: Path, own_files: Sequence[Path]) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.worker = worker
        self.data_dir = str(data_dir)
        self.own_files = {str(path) for path in own_files}
        self.temp_root = os.path.realpath(tempfile.gettempdir())
        self.watch = Watch()
        self._halt = threading.Event()

    def stop(self) -> Watch:
        self._halt.set()
        self.join()
        return self.watch

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(SAMPLE_SECONDS)
        self.sample()

    def sample(self) -> None:
        watch = self.watch
        watch.samples += 1
        watch.worker_rss_kb = max(watch.worker_rss_kb, status_kb(self.worker, "VmRSS"))
        kids = descendants(self.worker)
        for pid in kids:
            watch.child_rss_kb = max(watch.child_rss_kb, status_kb(pid, "VmRSS"))
        for pid in [self.worker, *kids]:
            self.scan_fds(pid)

    def scan_fds(self, pid: int) -> None:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            return
        for fd in fds:
            try:
                target = str(fd.readlink())
                size = fd.stat().st_size
            except OSError:
                continue
            if not target.startswith("/"):
                continue  # pipe:[...], socket:[...], anon_inode:...
            deleted = target.endswith(" (deleted)")
            inside_temp = target.startswith(self.temp_root + "/")
            if (target.startswith(self.data_dir + "/") or target in self.own_files) and not deleted:
                table = self.watch.expected
            elif GUNICORN_HEARTBEAT.search(target.removesuffix(" (deleted)")) and size == 0:
                table = self.watch.heartbeat
            elif deleted or inside_temp:
                table = self.watch.suspects
            else:
                continue
            entry = table.setdefault((pid, target), OpenFile(pid, comm(pid), target))
            entry.max_size = max(entry.max_size, size)
