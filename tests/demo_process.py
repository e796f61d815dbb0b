"""`sealdrop demo` as a process for the tests: started in a session of its own under a new short
TMPDIR, its banner read, and killed with its whole group if a test leaves it running."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BANNER_END = "Press Ctrl-C"


@dataclass(frozen=True)
class Demo:
    process: subprocess.Popen[str]
    banner: str  # everything printed up to the line that says how to stop it
    tmpdir: Path  # its TMPDIR: the demo makes its throwaway data directory there


@contextlib.contextmanager
def running_demo(port: int, *args: str) -> Iterator[Demo]:
    """`sealdrop demo --port PORT ARGS`, once its banner is printed."""
    # A short parent: gpg-agent's socket path must fit a unix socket name (108 bytes).
    tmpdir = Path(tempfile.mkdtemp(prefix="sdd-"))
    process = subprocess.Popen(
        [sys.executable, "-m", "sealdrop.cli", "demo", "--port", str(port), *args],
        env={**os.environ, "TMPDIR": str(tmpdir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        banner = ""
        while BANNER_END not in banner:
            line = process.stdout.readline()
            assert line, f"the demo printed no banner:\n{banner}"
            banner += line
        yield Demo(process, banner, tmpdir)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
