"""`sealdrop serve source` for real: a unix socket, huge headers, and a log naming nobody."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.config import load_config
from sealdrop.services.instance import initialise
from tests.harness import FAST_KDF, ReaderKeys
from tests.server import serve_source
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
        try:
            conn = UnixHTTPConnection(path)
            conn.request("GET", target)
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serves_on_a_unix_socket(initialised_env: tuple[dict[str, str], Path]) -> None:
    env, base = initialised_env
    sock = base / "source.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "sealdrop.cli", "serve", "source", "--bind", f"unix:{sock}"],
        env={**os.environ, **env}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert get_over_unix_socket(sock, "/metadata") == 200
        assert get_over_unix_socket(sock, "/") == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def test_serve_refuses_an_uninitialised_data_dir_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sealdrop.cli", "serve", "source"],
        env={**os.environ, "SEALDROP_DATA_DIR": str(tmp_path / "none")},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("sealdrop: ") and "sealdrop init" in done.stderr
    assert "Traceback" not in done.stderr


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
