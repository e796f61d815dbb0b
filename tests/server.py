"""Real web apps under gunicorn on 127.0.0.1, started through the `sealdrop` CLI.

The one way tests and the benchmarks (bench/instance.py) start and stop them.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_SECONDS = 30
# A public page of each app that answers once its workers run.
HEALTH_PATHS = {"source": "/metadata", "journalist": "/login"}
STOP_TIMEOUT_SECONDS = 15


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
        found: list[int] = []
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    found.extend(int(pid) for pid in (task / "children").read_text().split())
        return found

    def worker(self) -> int:
        """The first worker, waiting for gunicorn to have forked one."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if workers := self.worker_pids():
                return workers[0]
            time.sleep(0.05)
        raise RuntimeError("gunicorn started no worker")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL if it is still there after a while."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _wait_until_up(server: RunningServer, health_path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + health_path, timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # any answer is up: an app behind an onion name refuses loopback with 421
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_SECONDS} s:\n{server.log()}")


def start_app(
    app: str, env: Mapping[str, str], log_dir: Path, *, log_name: str | None = None
) -> RunningServer:
    """Start `sealdrop serve APP` with `env` on a free loopback port; return once it answers.

    Its output goes to `log_dir/log_name` (default `gunicorn-PORT.log`). The caller stops it
    with `stop()`; if it never comes up, it is stopped here and RuntimeError says why.
    """
    port = free_port()
    log_path = log_dir / (log_name or f"gunicorn-{port}.log")
    full_env = {**os.environ, **env, f"SEALDROP_{app.upper()}_BIND": f"127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sealdrop.cli", "serve", app],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RunningServer(f"http://127.0.0.1:{port}", port, process, log_path)
    try:
        _wait_until_up(server, HEALTH_PATHS[app])
    except BaseException:
        server.stop()
        raise
    return server


def start_source(
    env: Mapping[str, str], log_dir: Path, *, log_name: str | None = None
) -> RunningServer:
    return start_app("source", env, log_dir, log_name=log_name)


@contextlib.contextmanager
def serve_app(app: str, env: Mapping[str, str], log_dir: Path) -> Iterator[RunningServer]:
    """Run `sealdrop serve APP` with `env` on a free loopback port until the block ends."""
    server = start_app(app, env, log_dir)
    try:
        yield server
    finally:
        server.stop()


def serve_source(
    env: Mapping[str, str], log_dir: Path
) -> contextlib.AbstractContextManager[RunningServer]:
    return serve_app("source", env, log_dir)


def serve_journalist(
    env: Mapping[str, str], log_dir: Path
) -> contextlib.AbstractContextManager[RunningServer]:
    return serve_app("journalist", env, log_dir)


def raw_request(
    port: int, data: bytes, *, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """Send `data` as is (a head, perhaps part of a body) and read the answer; send nothing more."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read an HTTP/1.1 answer until the server closes: its status, headers and body."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines if ": " in line)
    return int(status_line.split()[1]), headers, body


class Trickle(threading.Thread):
    """A client that sends `head` at once (or byte by byte), then `body` a few bytes at a time.

    Records how long the server let it go on (`closed_after`) and any answer it got (`reply`).
    """

    def __init__(
        self,
        port: int,
        head: bytes,
        body: bytes = b"",
        *,
        step: int = 1,
        every: float = 0.5,
        slow_head: bool = False,
        give_up: float = 60,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.step, self.every, self.give_up = port, step, every, give_up
        self.data = head + body
        self.sent = 0 if slow_head else len(head)
        self.connected = threading.Event()
        self.closed_after: float | None = None
        self.reply = b""

    def run(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        started = time.monotonic()
        self.connected.set()
        try:
            sock.sendall(self.data[: self.sent])
            while time.monotonic() - started < self.give_up:
                readable, _, _ = select.select([sock], [], [], self.every)
                if readable:
                    self.reply = sock.recv(65536)
                    break  # an answer, or b"" when the server closed the connection
                if self.sent < len(self.data):
                    sock.sendall(self.data[self.sent : self.sent + self.step])
                    self.sent += self.step
            else:
                return
        except OSError:
            pass  # reset by the server
        finally:
            sock.close()
        self.closed_after = time.monotonic() - started


def timed_get(url: str, *, timeout: float = 10) -> tuple[int, float]:
    """Status and seconds of one GET on a fresh connection."""
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 - loopback only
        reply.read()
        return int(reply.status), time.monotonic() - started
