"""A throwaway Sealdrop instance: reader key, `sealdrop init`, gunicorn started and stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sealdrop.crypto.homes import Keyring
from sealdrop.domain.keys import Fingerprint

# The server is started and stopped as the tests do it (tests/server.py). A script run as
# `python bench/NAME.py` has bench/ on its path, not the repository root that holds tests/.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from tests.server import RunningServer as RunningServer  # noqa: PLC0414 - re-exported for the benches
from tests.server import start_source as start_source  # noqa: PLC0414 - re-exported for the benches


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
