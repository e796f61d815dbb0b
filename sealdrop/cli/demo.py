"""`make demo`: a throwaway instance on 127.0.0.1 with a fresh demo Submission Key.

The private half of the demo key lives in a separate "reader" keyring beside the data directory;
the server keeps no keyring at all, as on a real instance where the key stays on the reader.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from sealdrop.config import load_config
from sealdrop.crypto.gpg import Keyring
from sealdrop.runtime.initialise import initialise


def _banner(base: Path, port: int, fingerprint: str) -> str:
    reader = base / "reader-gpg"
    return f"""
Sealdrop demo is running (SQLite, throwaway data in {base}).

  Source interface:  http://127.0.0.1:{port}/
  Submission Key:    {fingerprint}
  Stored ciphertext: {base / "data" / "store"}

Decrypt a submission as the newsroom's reader machine would:
  gpg --homedir {reader} --decrypt <file>.gpg      (files: ... | gunzip)

Press Ctrl-C to stop; everything above is deleted then.
"""


# Ways a demo is told to stop besides Ctrl-C: `kill`, a closed terminal, a supervisor.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    """Raised in the main thread by a stop signal, so every `finally` below still runs."""


def _raise_stop(signum: int, _frame: object) -> None:
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)  # one stop is enough; a second must not cut clean-up
    raise _Stop(signal.Signals(signum).name)


def run(*, port: int) -> int:
    """Serve a throwaway instance until stopped; its directory, with the demo private key and
    its gpg-agents, is removed whether it ends by Ctrl-C, SIGTERM or SIGHUP."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    base = Path(tempfile.mkdtemp(prefix="sealdrop-demo-"))
    try:
        return _run_in(base, port)
    except _Stop:
        return 0
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        shutil.rmtree(base, ignore_errors=True)


def _run_in(base: Path, port: int) -> int:
    reader = Keyring(base / "reader-gpg")
    try:
        fingerprint = reader.generate_reader_key_pair("Sealdrop demo newsroom")
        env = {
            "SEALDROP_DATA_DIR": str(base / "data"),
            "SEALDROP_INSTANCE_NAME": "Sealdrop demo",
            "SEALDROP_SOURCE_BIND": f"127.0.0.1:{port}",
            "SEALDROP_MIN_FREE_BYTES": "0",
        }
        initialise(load_config(env), submission_key=reader.export_public_key(fingerprint))
        print(_banner(base, port, fingerprint), flush=True)
        # Through `sealdrop serve`, so the demo runs with the same checks and process limits.
        server = subprocess.Popen(
            [sys.executable, "-m", "sealdrop.cli", "serve", "source"], env={**os.environ, **env}
        )
        try:
            return server.wait()
        except (KeyboardInterrupt, _Stop):
            server.terminate()
            server.wait(timeout=15)
            return 0
    finally:
        reader.close()
