"""A real source interface under gunicorn on 127.0.0.1, started through the `sealdrop` CLI."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the arbiter), for memory and fd inspection."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_up(server: RunningServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log()}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(server.url + "/metadata", timeout=2),  # noqa: S310 - loopback
        ):
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_SECONDS} s:\n{server.log()}")


@contextlib.contextmanager
def serve_source(env: Mapping[str, str], log_dir: Path) -> Iterator[RunningServer]:
    """Run `sealdrop serve source` with `env` on a free loopback port until the block ends."""
    port = free_port()
    log_path = log_dir / f"gunicorn-{port}.log"
    full_env = {**os.environ, **env, "SEALDROP_SOURCE_BIND": f"127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sealdrop.cli", "serve", "source"],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RunningServer(f"http://127.0.0.1:{port}", port, process, log_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
