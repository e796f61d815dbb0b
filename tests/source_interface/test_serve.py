"""`sealdrop serve source` for real: where it listens, its limits, and a log naming nobody."""

from __future__ import annotations

import http.client
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sealdrop.config import load_config
from sealdrop.runtime.initialise import initialise
from tests.cli_runner import Sealdrop
from tests.harness import FAST_KDF, ReaderKeys
from tests.server import free_port, serve_source
from tests.source_interface.http_source import FilePart, HttpSource


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(self._path))


@pytest.fixture
def initialised_env(reader_keys: ReaderKeys) -> Iterator[tuple[dict[str, str], Path]]:
    base = Path(tempfile.mkdtemp(prefix="sds-"))
    env = {"SEALDROP_DATA_DIR": str(base / "data"), "SEALDROP_MIN_FREE_BYTES": "0", **FAST_KDF}
    initialise(load_config(env), submission_key=reader_keys.public_key)
    try:
        yield env, base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def get_over_unix_socket(path: Path, target: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        conn = UnixHTTPConnection(path)
        try:
            conn.request("GET", target)
            return conn.getresponse().status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            conn.close()  # a refused connection's socket too


@pytest.mark.server
def test_serves_on_a_unix_socket(initialised_env: tuple[dict[str, str], Path]) -> None:
    env, base = initialised_env
    sock = base / "source.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "sealdrop.cli", "serve", "source", "--bind", f"unix:{sock}"],
        env={**os.environ, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert get_over_unix_socket(sock, "/metadata") == 200
        assert get_over_unix_socket(sock, "/") == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def test_serve_refuses_an_uninitialised_data_dir_in_one_line(
    sealdrop: Sealdrop, tmp_path: Path
) -> None:
    ran = sealdrop({"SEALDROP_DATA_DIR": str(tmp_path / "none")}, "serve", "source")
    assert ran.code == 2
    assert ran.stderr.startswith("sealdrop: ") and "sealdrop init" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.server
def test_huge_headers_and_a_silent_log(initialised_env: tuple[dict[str, str], Path]) -> None:
    env, base = initialised_env
    with serve_source(env, base) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/", headers={"X-Padding": "a" * 100_000})
        assert conn.getresponse().status in (400, 431)
        conn.close()
        source = HttpSource(server.port)
        source.create()
        agent = "SealdropTestAgent/1.0"
        assert source.request("GET", "/lookup", headers={"User-Agent": agent}).status == 200
        reply = source.upload("logged?", [FilePart("f.bin", 10_000, b"z")])
        assert reply is not None and reply.status == 302
        assert source.request("GET", "/nope").status == 404
        log = server.log()
    assert "127.0.0.1" not in log and agent not in log and "/lookup" not in log


@pytest.mark.parametrize("bind", ["0.0.0.0:8080", "[::]:8080", "192.0.2.7:8080"])
def test_serve_refuses_a_public_address_in_one_line(
    sealdrop: Sealdrop, tmp_path: Path, bind: str
) -> None:
    env = {"SEALDROP_DATA_DIR": str(tmp_path / "none"), "SEALDROP_SOURCE_BIND": bind}
    ran = sealdrop(env, "serve", "source")
    assert ran.code == 2
    [line] = ran.stderr.splitlines()
    assert line.startswith("sealdrop: ") and "SEALDROP_SOURCE_BIND" in line
    assert "Traceback" not in ran.stderr


@contextmanager
def core_files_allowed() -> Iterator[None]:
    """Let this process (and so the server it starts) write core files, as a default host may."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    assert hard != 0, "core files are already off for this runner: the test would prove nothing"
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


@pytest.mark.server
def test_workers_can_never_write_a_core_file(initialised_env: tuple[dict[str, str], Path]) -> None:
    env, base = initialised_env
    with core_files_allowed(), serve_source(env, base) as server:
        pids = [server.process.pid, *server.worker_pids()]
        limits = {pid: Path(f"/proc/{pid}/limits").read_text() for pid in pids}
    assert len(limits) >= 2, "no worker to inspect"
    for pid, text in limits.items():
        assert re.search(r"^Max core file size\s+0\s+0\s", text, re.MULTILINE), (pid, text)


def stored_under(store: Path) -> list[Path]:
    """Every file in the source folders, staged .part files included."""
    return sorted(path for path in store.glob("*/*") if path.is_file())


@pytest.mark.server
def test_a_chunked_upload_counts_as_the_largest_for_the_disk_check(
    initialised_env: tuple[dict[str, str], Path],
) -> None:
    env, base = initialised_env
    store = load_config(env).store_dir
    free = shutil.disk_usage(store).free
    margin = min(1 << 30, free // 4)  # room for whatever else writes to this disk meanwhile
    # Free space minus a small upload stays above the floor; minus the largest one falls below.
    limits = {
        "SEALDROP_MIN_FREE_BYTES": str(free - margin),
        "SEALDROP_MAX_UPLOAD_BYTES": str(2 * margin),
    }
    with serve_source({**env, **limits}, base) as server:
        source = HttpSource(server.port)
        source.create()
        part = FilePart("small.bin", 20_000, b"c")
        refused = source.upload("chunked", [part], chunked=True)
        assert refused is not None and refused.status == 503
        assert "cannot take submissions right now" in refused.body
        assert stored_under(store) == []
        accepted = source.upload("with a length", [part])
        assert accepted is not None and accepted.status == 302
        assert len(stored_under(store)) == 2


NOGROUP = 65534


@pytest.mark.server
def test_workers_are_not_dumpable(initialised_env: tuple[dict[str, str], Path]) -> None:
    """A non-dumpable process's /proc files belong to root:root, whoever runs it; the others to
    the process's own user and group. Running under another group tells the two apart."""
    env, _base = initialised_env
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sealdrop.cli", "serve", "source", "--bind", f"127.0.0.1:{port}"],
        env={**os.environ, **env},
        start_new_session=True,
        group=NOGROUP,
        extra_groups=[],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (workers := children_of(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers, "no worker started"
        time.sleep(1)  # the worker makes itself non-dumpable as it starts
        arbiter = Path(f"/proc/{process.pid}/environ").stat()
        assert arbiter.st_gid == NOGROUP, "the arbiter is dumpable: the check can tell them apart"
        for pid in workers:
            assert Path(f"/proc/{pid}/environ").stat().st_gid == 0, pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def children_of(pid: int) -> list[int]:
    """gunicorn's workers, once `sealdrop serve` has become gunicorn (before, its children are
    the short-lived gpgconf of its start-up checks)."""

    def gunicorn(process: int) -> bool:
        return b"gunicorn" in Path(f"/proc/{process}/cmdline").read_bytes()

    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        found = [int(child) for child in children.read_text().split()]
        return found if gunicorn(pid) and all(gunicorn(child) for child in found) else []
    except OSError:
        return []
