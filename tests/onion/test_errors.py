"""Operator errors that need no Tor network: nothing listening, and a tor too old (a fake
control port that speaks just enough of the protocol to announce tor 0.4.5.16)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import free_port

OLD_VERSION = "0.4.5.16"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onion", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("sealdrop-onion: ") and words in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def _answer(line: str) -> bytes:
    if line.startswith("PROTOCOLINFO"):
        return (
            b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n"
            + f'250-VERSION Tor="{OLD_VERSION}"\r\n250 OK\r\n'.encode()
        )
    if line.startswith("GETINFO version"):
        return f"250-version={OLD_VERSION}\r\n250 OK\r\n".encode()
    return b"250 OK\r\n"


def _serve_one(listener: socket.socket) -> None:
    with listener, listener.accept()[0] as conn:
        buffer = b""
        while chunk := conn.recv(4096):
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                conn.sendall(_answer(line.decode()))
                if line.startswith(b"QUIT"):
                    return


@pytest.fixture
def old_tor() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = int(listener.getsockname()[1])
    server = threading.Thread(target=_serve_one, args=(listener,), daemon=True)
    server.start()
    yield port
    server.join(timeout=10)


def test_tor_too_old_for_v3_client_auth(old_tor: int) -> None:
    done = run_cli("--control", f"127.0.0.1:{old_tor}", "check")
    assert_one_line(done, f"tor {OLD_VERSION} is too old: v3 client authorization needs")


def test_tor_not_running(tmp_path: Path) -> None:
    assert_one_line(run_cli("--control", f"127.0.0.1:{free_port()}", "check"), "Tor is not running")
    missing = tmp_path / "control.sock"
    assert_one_line(run_cli("--control", str(missing), "check"), "Tor is not running")


def test_no_state_directory_named() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "onion", "address"],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert_one_line(done, "give --state-dir, or set SEALDROP_DATA_DIR")
