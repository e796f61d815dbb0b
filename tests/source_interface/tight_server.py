"""A source interface served for the slow-client tests: one worker with 4 threads, room for 3
uploads at once and deadlines of a few seconds, so each attack needs only a few dozen connections
and a few seconds; and what those tests check after each attack."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sealdrop.config import Config, load_config
from sealdrop.runtime.initialise import initialise
from tests.harness import ReaderKeys, instance_env
from tests.server import RunningServer, Trickle, serve_source, timed_get
from tests.source_interface.http_source import HttpSource

THREADS = 4
UPLOAD_SLOTS = 3
DEADLINE = 2  # seconds for a request head, and for a small body
RATE_WINDOW = 5  # seconds of waiting over which an upload must average the minimum rate
MAX_CONNECTIONS = 100
SETTINGS = {
    "SEALDROP_SOURCE_WORKERS": "1",
    "SEALDROP_SOURCE_THREADS": str(THREADS),
    "SEALDROP_SOURCE_UPLOADS_PER_WORKER": str(UPLOAD_SLOTS),
    "SEALDROP_SOURCE_HEADER_TIMEOUT_SECONDS": str(DEADLINE),
    "SEALDROP_SOURCE_BODY_TIMEOUT_SECONDS": str(DEADLINE),
    "SEALDROP_SOURCE_UPLOAD_RATE_WINDOW_SECONDS": str(RATE_WINDOW),
    "SEALDROP_SOURCE_UPLOAD_MIN_BYTES_PER_SECOND": "2000",
    "SEALDROP_SOURCE_UPLOAD_IDLE_TIMEOUT_SECONDS": "8",
    "SEALDROP_SOURCE_BUSY_RETRY_AFTER_SECONDS": "30",
    "SEALDROP_MAX_UPLOAD_BYTES": "4000000",
    "SEALDROP_SOURCE_KEEPALIVE_TIMEOUT_SECONDS": "2",
    "SEALDROP_SOURCE_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
}
MANY = 10 * THREADS  # far more slow clients than threads


@dataclass
class Site:
    server: RunningServer
    config: Config
    env: dict[str, str]

    def staged(self) -> list[Path]:
        return sorted(self.config.store_dir.glob("*/.*.part"))

    def stored(self) -> list[Path]:
        return sorted(self.config.store_dir.glob("*/*.gpg"))

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sealdrop.cli", "check"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@contextlib.contextmanager
def tight_site(reader_keys: ReaderKeys) -> Iterator[Site]:
    """An initialised instance, its source interface served with the settings above."""
    base = Path(tempfile.mkdtemp(prefix="sdw-"))
    try:
        env = {**instance_env(base / "data"), **SETTINGS}
        initialise(load_config(env), submission_key=reader_keys.public_key)
        with serve_source(env, base) as server:
            yield Site(server, load_config(env), env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def start(trickles: list[Trickle]) -> list[Trickle]:
    for trickle in trickles:
        trickle.start()
    for trickle in trickles:
        trickle.connected.wait(5)
    return trickles


def assert_landing_page_answers(site: Site) -> None:
    status, seconds = timed_get(site.server.url + "/", timeout=5)
    assert status == 200 and seconds < 1, seconds


def new_source(site: Site) -> HttpSource:
    source = HttpSource(site.server.port)
    source.create()
    return source


def assert_nothing_left_behind(site: Site) -> None:
    deadline = time.monotonic() + 10
    while site.staged() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert site.staged() == []
    done = site.check()
    assert done.returncode == 0, done.stdout + done.stderr
