"""A throwaway Sealdrop instance: reader key, `sealdrop init`, gunicorn started and stopped."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from worker_watch import children

from sealdrop.crypto.gpg import Keyring
from sealdrop.domain.keys import Fingerprint

START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Instance:
    """An initialised data directory and the reader whose key its submissions are encrypted to."""

    data_dir: Path
    reader_home: Path
    fingerprint: Fingerprint
    env: Mapping[str, str]

    @property
    def store(self) -> Path:
        return self.data_dir / "store"


def create_instance(base: Path, upload_size: int) -> Instance:
    reader_home = base / "reader"
    data_dir = base / "data"
    reader = Keyring(reader_home)
    fingerprint: Fingerprint = reader.generate_reader_key_pair("Sealdrop bench reader")
    key_file = base / "submission.asc"
    key_file.write_text(reader.export_public_key(fingerprint))

    env = {
        "SEALDROP_DATA_DIR": str(data_dir),
        "SEALDROP_MIN_FREE_BYTES": "0",
        "SEALDROP_MAX_UPLOAD_BYTES": str(max(upload_size * 2, 1_000_000)),
        "SEALDROP_SOURCE_WORKERS": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "sealdrop.cli", "init", "--submission-key", str(key_file)],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    return Instance(data_dir, reader_home, fingerprint, env)


def stop_agents(instance: Instance) -> None:
    """gpg leaves an agent running for each home it used; none should outlive the benchmark."""
    for home in [instance.reader_home]:  # the server keeps no GnuPG home of its own
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
            check=False,
            capture_output=True,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def worker(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            workers = children(self.process.pid)
            if workers:
                return workers[0]
            time.sleep(0.05)
        raise RuntimeError("gunicorn started no worker")

    def stop(self) -> None:
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


def start_server(env: Mapping[str, str], log_path: Path) -> Server:
    port = free_port()
    full_env = {**os.environ, **env, "SEALDROP_SOURCE_BIND": f"127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sealdrop.cli", "serve", "source"],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/metadata")
                if conn.getresponse().status == 200:
                    return server
            finally:
                conn.close()
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer:\n{log_path.read_text(errors='replace')}")
