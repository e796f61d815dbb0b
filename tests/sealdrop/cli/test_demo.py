"""`sealdrop demo` as a newcomer runs it: it serves, and however it is stopped it leaves nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.server import free_port

BANNER_DIR = re.compile(r"throwaway data in (\S+)\)")
START_SECONDS = 60


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that name `text`, such as a gpg-agent's home."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if text in line:
            found.append(line)
    return found


def wait_for_page(url: str, demo: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert demo.poll() is None, "the demo exited before it served"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                return int(response.status)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the demo did not answer within {START_SECONDS} s")


@pytest.mark.server
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_demo_serves_and_leaves_nothing_behind(stop: signal.Signals) -> None:
    # A short parent: gpg-agent's socket path must fit a unix socket name (108 bytes).
    tmp_path = Path(tempfile.mkdtemp(prefix="sdd-"))
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "sealdrop.cli", "demo", "--port", str(port)],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert demo.stdout is not None
        banner = ""
        while not (found := BANNER_DIR.search(banner)):
            line = demo.stdout.readline()
            assert line, f"the demo printed no banner:\n{banner}"
            banner += line
        base = Path(found.group(1))
        assert base.is_dir() and base.parent == tmp_path
        assert wait_for_page(f"http://127.0.0.1:{port}/", demo) == 200
        demo.send_signal(stop)
        assert demo.wait(timeout=30) in (0, 130)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
    assert not base.exists(), "the demo directory (with its private key) was left behind"
    assert processes_mentioning(str(base)) == [], "a process of the demo outlived it"
    tmp_path.rmdir()  # empty: the demo made nothing else there
